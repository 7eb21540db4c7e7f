#include "sim/platform.h"

#include <gtest/gtest.h>

#include <set>

#include "base/encoding.h"

namespace qrscene::sim {
namespace {

using namespace std::chrono_literals;

// 2024-04-25 10:00:00 Beijing.
constexpr std::int64_t kStart = 1714010400;

SimAccount test_account(std::string appid) {
  SimAccount a;
  a.appid = std::move(appid);
  a.secret = "s";
  return a;
}

class PlatformTest : public ::testing::Test {
 protected:
  explicit PlatformTest(PlatformOptions o = {}) : platform_(clock_, rng_, std::move(o)) {
    platform_.add_account(test_account("wx1"));
    platform_.add_account(test_account("wx2"));
  }

  std::int64_t code(const Result<Json>& r) { return r ? 0 : r.error().detail; }
  Json create(Json body, std::string_view appid = "wx1") {
    auto r = platform_.qrcode_create(appid, body);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : Json();
  }
  std::string user() { return platform_.create_users("wx1", 1)->front().openid; }

  FakeClock clock_{kStart};
  Rng rng_{1};
  Platform platform_;
};

Json temp_int(std::int64_t id, std::optional<std::int64_t> expire = std::nullopt) {
  Json b{{"action_name", "QR_SCENE"}, {"action_info", {{"scene", {{"scene_id", id}}}}}};
  if (expire) b["expire_seconds"] = *expire;
  return b;
}
Json perm_str(std::string s) {
  return Json{{"action_name", "QR_LIMIT_STR_SCENE"}, {"action_info", {{"scene", {{"scene_str", s}}}}}};
}
Json perm_int(std::int64_t id) {
  return Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", id}}}}}};
}

TEST_F(PlatformTest, TemporaryCodeHasWeChatsShapeAndDefaultExpiry) {
  const Json r = create(temp_int(123));
  EXPECT_EQ(r["expire_seconds"], 60);  // the current documentation's default
  const std::string url = r["url"];
  ASSERT_EQ(url.rfind("http://weixin.qq.com/q/", 0), 0u);
  EXPECT_EQ(url.size(), std::string("http://weixin.qq.com/q/").size() + 22);
  // The ticket decodes to WeChat's layout: 81 01 .. .., the TLV length, then the url TLV.
  auto raw = decode_base64(r["ticket"].get<std::string>());
  ASSERT_TRUE(raw);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[0]), 0x81);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[1]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>((*raw)[4]), raw->size() - 12);
  EXPECT_NE(raw->find(url), std::string::npos);
}

TEST_F(PlatformTest, PermanentCodeAnswersWithoutExpireSeconds) {
  const Json r = create(perm_str("poster-A"));
  EXPECT_TRUE(r.contains("ticket"));
  EXPECT_TRUE(r.contains("url"));
  EXPECT_FALSE(r.contains("expire_seconds"));
}

TEST_F(PlatformTest, ExpireSecondsOutOfRangeIsClampedByDefault) {
  EXPECT_EQ(create(temp_int(1, 9'999'999))["expire_seconds"], 2'592'000);
  EXPECT_EQ(create(temp_int(1, 0))["expire_seconds"], 60);
  EXPECT_EQ(create(temp_int(1, 3600))["expire_seconds"], 3600);
}

class StrictPlatformTest : public PlatformTest {
 protected:
  static PlatformOptions strict() {
    PlatformOptions o;
    o.qr_expire_out_of_range_is_error = true;
    o.qr_permanent_idempotent = false;
    o.qr_scene_id_unsigned = false;
    o.qr_default_expire_seconds = 30;
    o.qr_permanent_quota = 3;
    return o;
  }
  StrictPlatformTest() : PlatformTest(strict()) {}
};

TEST_F(StrictPlatformTest, OptionsFollowTheOlderReadings) {
  EXPECT_EQ(code(platform_.qrcode_create("wx1", temp_int(1, 9'999'999))), 40053);
  EXPECT_EQ(create(temp_int(1))["expire_seconds"], 30);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", temp_int(2'147'483'648LL))), 40053);
  const Json a = create(perm_int(7));
  const Json b = create(perm_int(7));
  EXPECT_NE(a["ticket"], b["ticket"]);  // not idempotent: a second ticket, a second unit of quota
  create(perm_int(8));
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_int(9))), 45029);
}

TEST_F(PlatformTest, ValidationRules) {
  EXPECT_EQ(code(platform_.qrcode_create("wx1", Json{{"action_name", "QR_NOPE"}})), 40052);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", Json{{"action_name", "QR_SCENE"}})), 40053);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", temp_int(0))), 40053);           // non-zero
  EXPECT_EQ(code(platform_.qrcode_create("wx1", temp_int(4'294'967'295LL))), 0);  // unsigned 32-bit
  EXPECT_EQ(code(platform_.qrcode_create("wx1", temp_int(4'294'967'296LL))), 40053);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_int(0))), 40053);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_int(100'000))), 0);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_int(100'001))), 40053);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_str(""))), 40053);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_str(std::string(64, 'a')))), 0);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_str(std::string(65, 'a')))), 40053);
  // 64 characters, not bytes: 64 Chinese characters are 192 bytes and fine.
  std::string chinese;
  for (int i = 0; i < 64; ++i) chinese += "码";
  EXPECT_EQ(code(platform_.qrcode_create("wx1", perm_str(chinese))), 0);
  EXPECT_EQ(code(platform_.qrcode_create("wx1", Json{{"action_name", "QR_STR_SCENE"},
                                                      {"action_info", {{"scene", {{"scene_id", 5}}}}}})),
            40053);  // a string code needs scene_str
  EXPECT_EQ(code(platform_.qrcode_create("nope", temp_int(1))), 40013);
}

TEST_F(PlatformTest, MissingSceneWrapperMakesSceneZero) {
  const Json r = create(Json{{"action_name", "QR_SCENE"}, {"action_info", {{"scene_id", 123}}}});
  const std::string openid = user();
  auto act = platform_.scan("wx1", openid, r["ticket"].get<std::string>(), true);
  ASSERT_TRUE(act);
  EXPECT_NE(act->xml.find("<EventKey><![CDATA[qrscene_0]]></EventKey>"), std::string::npos);
}

TEST_F(PlatformTest, SamePermanentSceneGivesTheSameTicketAndNoExtraQuota) {
  const Json a = create(perm_int(42));
  const Json b = create(perm_int(42));
  EXPECT_EQ(a["ticket"], b["ticket"]);
  EXPECT_EQ(a["url"], b["url"]);
  // Int and string scenes "42" are different codes.
  EXPECT_NE(create(perm_str("42"))["ticket"], a["ticket"]);
}

TEST_F(PlatformTest, PermanentQuotaIsPerAccountAndSharedByIntAndString) {
  PlatformOptions o;
  o.qr_permanent_quota = 2;
  Platform p(clock_, rng_, o);
  p.add_account(test_account("wxq"));
  p.add_account(test_account("wxr"));
  EXPECT_TRUE(p.qrcode_create("wxq", perm_int(1)));
  EXPECT_TRUE(p.qrcode_create("wxq", perm_str("a")));
  auto third = p.qrcode_create("wxq", perm_int(2));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().detail, 45029);
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(5)));  // temporary codes are not counted
  EXPECT_TRUE(p.qrcode_create("wxr", perm_int(1)));  // another account has its own quota
}

TEST_F(PlatformTest, DailyCallQuotaAnswers45009UntilClearedOrTomorrow) {
  PlatformOptions o;
  o.daily_quota["qrcode/create"] = {2, 1};
  Platform p(clock_, rng_, o);
  p.add_account(test_account("wxq"));
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(1)));
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(2)));
  EXPECT_EQ(p.qrcode_create("wxq", temp_int(3)).error().detail, 45009);
  EXPECT_TRUE(p.clear_quota("wxq", Json{{"appid", "wxq"}}));
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(3)));
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(4)));
  EXPECT_FALSE(p.qrcode_create("wxq", temp_int(5)));
  clock_.advance(24h);
  EXPECT_TRUE(p.qrcode_create("wxq", temp_int(5)));
}

TEST_F(PlatformTest, UnverifiedAccountsCannotCreateCodes) {
  SimAccount a = test_account("wxu");
  a.verified = false;
  platform_.add_account(a);
  EXPECT_EQ(code(platform_.qrcode_create("wxu", temp_int(1))), 48001);
}

TEST_F(PlatformTest, TemporaryTicketsExpire) {
  const Json r = create(temp_int(9, 120));
  const std::string t = r["ticket"];
  EXPECT_TRUE(platform_.ticket(t));
  const std::string openid = user();
  clock_.advance(121s);
  EXPECT_FALSE(platform_.ticket(t));
  auto act = platform_.scan("wx1", openid, t, true);
  ASSERT_TRUE(act);
  EXPECT_TRUE(act->xml.empty());
  EXPECT_EQ(act->note, "二维码已过期");
  EXPECT_FALSE(platform_.user("wx1", openid)->subscribed);
}

TEST_F(PlatformTest, ScanByNonFollowerSubscribesWithPrefixAndTicket) {
  const Json r = create(perm_str("poster-A"));
  const std::string openid = user();
  clock_.advance(5s);
  auto act = platform_.scan("wx1", openid, r["url"].get<std::string>(), true);  // by url, as from an image
  ASSERT_TRUE(act);
  EXPECT_EQ(act->event, "subscribe");
  EXPECT_NE(act->xml.find("<Event><![CDATA[subscribe]]></Event>"), std::string::npos);
  EXPECT_NE(act->xml.find("<EventKey><![CDATA[qrscene_poster-A]]></EventKey>"), std::string::npos);
  EXPECT_NE(act->xml.find("<Ticket><![CDATA[" + r["ticket"].get<std::string>() + "]]></Ticket>"), std::string::npos);
  EXPECT_NE(act->xml.find("<CreateTime>" + std::to_string(kStart + 5) + "</CreateTime>"), std::string::npos);
  EXPECT_NE(act->xml.find("<ToUserName><![CDATA[gh_"), std::string::npos);
  auto info = platform_.user_info("wx1", openid, "zh_CN");
  ASSERT_TRUE(info);
  EXPECT_EQ((*info)["subscribe"], 1);
  EXPECT_EQ((*info)["subscribe_scene"], "ADD_SCENE_QR_CODE");
  EXPECT_EQ((*info)["qr_scene_str"], "poster-A");
  EXPECT_EQ((*info)["subscribe_time"], kStart + 5);

  // A follower who scans again: SCAN without the prefix; user/info keeps the first code.
  const Json other = create(perm_int(77));
  auto again = platform_.scan("wx1", openid, other["ticket"].get<std::string>(), true);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->event, "SCAN");
  EXPECT_NE(again->xml.find("<EventKey><![CDATA[77]]></EventKey>"), std::string::npos);
  EXPECT_EQ((*platform_.user_info("wx1", openid, ""))["qr_scene_str"], "poster-A");
}

TEST_F(PlatformTest, NonFollowerWhoDoesNotFollowPushesNothing) {
  const Json r = create(perm_int(3));
  const std::string openid = user();
  auto act = platform_.scan("wx1", openid, r["ticket"].get<std::string>(), false);
  ASSERT_TRUE(act);
  EXPECT_TRUE(act->xml.empty());
  EXPECT_FALSE(platform_.user("wx1", openid)->subscribed);
}

TEST_F(PlatformTest, UnfollowPurgesAndUserInfoSaysNotSubscribed) {
  const std::string openid = user();
  ASSERT_TRUE(platform_.follow("wx1", openid, ""));
  auto tag = platform_.tags_create("wx1", Json{{"tag", {{"name", "VIP"}}}});
  ASSERT_TRUE(tag);
  const auto id = (*tag)["tag"]["id"].get<std::int64_t>();
  ASSERT_TRUE(platform_.tags_members("wx1", Json{{"openid_list", {openid}}, {"tagid", id}}, true));
  auto act = platform_.unfollow("wx1", openid);
  ASSERT_TRUE(act);
  EXPECT_NE(act->xml.find("<Event><![CDATA[unsubscribe]]></Event>"), std::string::npos);
  const Json info = *platform_.user_info("wx1", openid, "zh_CN");
  EXPECT_EQ(info, (Json{{"subscribe", 0}, {"openid", openid}}));
  EXPECT_FALSE(platform_.unfollow("wx1", openid));  // not following any more
}

TEST_F(PlatformTest, UserInfoErrors) {
  const std::string other = platform_.create_users("wx2", 1)->front().openid;
  EXPECT_EQ(code(platform_.user_info("wx1", other, "zh_CN")), 49003);  // another account's openid
  EXPECT_EQ(code(platform_.user_info("wx1", "o-nobody", "zh_CN")), 40003);
  EXPECT_EQ(code(platform_.user_info("wx1", user(), "fr")), 40005);
}

TEST_F(PlatformTest, BatchgetAndUserGetPaging) {
  PlatformOptions o;
  o.user_get_page = 3;
  Platform p(clock_, rng_, o);
  p.add_account(test_account("wxp"));
  auto users = *p.create_users("wxp", 7);
  for (const auto& u : users) ASSERT_TRUE(p.follow("wxp", u.openid, "ADD_SCENE_PROFILE_CARD"));
  std::set<std::string> seen;
  std::string next;
  int pages = 0;
  for (;;) {
    auto page = p.user_get("wxp", next);
    ASSERT_TRUE(page);
    EXPECT_EQ((*page)["total"], 7);
    if ((*page)["count"] == 0) {
      EXPECT_FALSE(page->contains("data"));
      break;
    }
    for (const auto& id : (*page)["data"]["openid"]) seen.insert(id.get<std::string>());
    next = (*page)["next_openid"];
    ++pages;
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);  // 3 + 3 + 1, then an empty page

  Json list = Json::array();
  for (int i = 0; i < 101; ++i) list.push_back({{"openid", users[0].openid}});
  EXPECT_EQ(code(p.user_info_batchget("wxp", Json{{"user_list", list}})), 40032);
  list.erase(list.begin());
  auto ok = p.user_info_batchget("wxp", Json{{"user_list", list}});
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["user_info_list"].size(), 100u);
}

TEST_F(PlatformTest, TagRulesAndErrcodes) {
  auto created = platform_.tags_create("wx1", Json{{"tag", {{"name", "广东"}}}});
  ASSERT_TRUE(created);
  const auto id = (*created)["tag"]["id"].get<std::int64_t>();
  EXPECT_EQ(code(platform_.tags_create("wx1", Json{{"tag", {{"name", "广东"}}}})), 45157);  // duplicate
  EXPECT_EQ(code(platform_.tags_create("wx1", Json{{"tag", {{"name", ""}}}})), 45157);
  std::string thirty;
  for (int i = 0; i < 30; ++i) thirty += "标";
  EXPECT_EQ(code(platform_.tags_create("wx1", Json{{"tag", {{"name", thirty}}}})), 0);  // 30 characters
  EXPECT_EQ(code(platform_.tags_create("wx1", Json{{"tag", {{"name", thirty + "x"}}}})), 45158);
  EXPECT_EQ(code(platform_.tags_update("wx1", Json{{"tag", {{"id", 2}, {"name", "x"}}}})), 45058);  // system tag
  EXPECT_EQ(code(platform_.tags_update("wx1", Json{{"tag", {{"id", 999}, {"name", "x"}}}})), 45159);
  EXPECT_EQ(code(platform_.tags_update("wx1", Json{{"tag", {{"id", id}, {"name", "广东人"}}}})), 0);

  std::vector<std::string> ids;
  for (int i = 0; i < 51; ++i) {
    ids.push_back(user());
    ASSERT_TRUE(platform_.follow("wx1", ids.back(), ""));
  }
  EXPECT_EQ(code(platform_.tags_members("wx1", Json{{"openid_list", ids}, {"tagid", id}}, true)), 40032);  // > 50
  ids.pop_back();
  EXPECT_EQ(code(platform_.tags_members("wx1", Json{{"openid_list", ids}, {"tagid", 12345}}, true)), 45159);
  EXPECT_EQ(code(platform_.tags_members("wx1", Json{{"openid_list", ids}, {"tagid", id}}, true)), 0);
  const Json tags = *platform_.tags_get("wx1");
  bool found = false;
  for (const auto& t : tags["tags"]) {
    if (t["id"] == id) {
      found = true;
      EXPECT_EQ(t["count"], 50);
      EXPECT_EQ(t["name"], "广东人");
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ((*platform_.tags_getidlist("wx1", Json{{"openid", ids[0]}}))["tagid_list"], Json::array({id}));
  EXPECT_EQ((*platform_.user_tag_get("wx1", Json{{"tagid", id}, {"next_openid", ""}}))["count"], 50);

  // 20 tags per user at most.
  for (int i = 0; i < 19; ++i) {
    auto t = platform_.tags_create("wx1", Json{{"tag", {{"name", "t" + std::to_string(i)}}}});
    ASSERT_TRUE(t);
    ASSERT_TRUE(platform_.tags_members("wx1", Json{{"openid_list", {ids[0]}}, {"tagid", (*t)["tag"]["id"]}}, true));
  }
  auto t21 = platform_.tags_create("wx1", Json{{"tag", {{"name", "one too many"}}}});
  EXPECT_EQ(code(platform_.tags_members("wx1", Json{{"openid_list", {ids[0]}}, {"tagid", (*t21)["tag"]["id"]}}, true)),
            45059);
  EXPECT_EQ(code(platform_.tags_members("wx1", Json{{"openid_list", ids}, {"tagid", id}}, false)), 0);
  EXPECT_EQ(code(platform_.tags_delete("wx1", Json{{"tag", {{"id", id}}}})), 0);
  EXPECT_EQ(code(platform_.tags_delete("wx1", Json{{"tag", {{"id", id}}}})), 45159);
}

TEST_F(PlatformTest, AtMostOneHundredTags) {
  // Tag 2 exists from the start; 99 more fit.
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(platform_.tags_create("wx1", Json{{"tag", {{"name", "t" + std::to_string(i)}}}}));
  EXPECT_EQ(code(platform_.tags_create("wx1", Json{{"tag", {{"name", "last"}}}})), 45056);
}

TEST_F(PlatformTest, MenuValidation) {
  auto menu = [](Json buttons) { return Json{{"button", std::move(buttons)}}; };
  const Json click{{"type", "click"}, {"name", "今日歌曲"}, {"key", "V1001_TODAY_MUSIC"}};
  EXPECT_EQ(code(platform_.menu_get("wx1")), 46003);
  EXPECT_EQ(code(platform_.menu_create("wx1", menu(Json::array()))), 40016);
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({click, click, click, click}))), 40016);
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"type", "nope"}, {"name", "x"}}}))), 40017);
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"type", "click"}, {"name", std::string(17, 'x')}, {"key", "k"}}}))),
            40018);
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"type", "click"}, {"name", "x"}}}))), 40019);  // no key
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"type", "view"}, {"name", "x"}}}))), 40020);   // no url
  Json subs = Json::array();
  for (int i = 0; i < 6; ++i) subs.push_back({{"type", "view"}, {"name", "s"}, {"url", "https://example.com"}});
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"name", "菜单"}, {"sub_button", subs}}}))), 40023);
  subs.erase(subs.begin());
  subs[0]["url"] = std::string(1025, 'u');
  EXPECT_EQ(code(platform_.menu_create("wx1", menu({{{"name", "菜单"}, {"sub_button", subs}}}))), 40027);
  subs[0]["url"] = "https://example.com";
  ASSERT_EQ(code(platform_.menu_create("wx1", menu({click, {{"name", "菜单"}, {"sub_button", subs}}}))), 0);
  const Json got = *platform_.menu_get("wx1");
  EXPECT_EQ(got["menu"]["button"][0]["key"], "V1001_TODAY_MUSIC");
  const Json live = *platform_.current_selfmenu_info("wx1");
  EXPECT_EQ(live["is_menu_open"], 1);
  EXPECT_EQ(live["selfmenu_info"]["button"][1]["sub_button"]["list"].size(), 5u);
  EXPECT_EQ(code(platform_.menu_delete("wx1")), 0);
  EXPECT_EQ(code(platform_.menu_get("wx1")), 46003);
}

TEST_F(PlatformTest, CustomerServiceWindows) {
  const std::string openid = user();
  const Json text{{"touser", openid}, {"msgtype", "text"}, {"text", {{"content", "hi"}}}};
  EXPECT_EQ(code(platform_.custom_send("wx1", text)), 43004);  // not following
  ASSERT_TRUE(platform_.follow("wx1", openid, ""));
  // A follow opens 3 messages within a minute.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(code(platform_.custom_send("wx1", text)), 0);
  EXPECT_EQ(code(platform_.custom_send("wx1", text)), 45047);
  clock_.advance(61s);
  EXPECT_EQ(code(platform_.custom_send("wx1", text)), 45015);
  // The user's own message opens 5 within 48 hours.
  ASSERT_TRUE(platform_.text("wx1", openid, "你好"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(code(platform_.custom_send("wx1", text)), 0);
  EXPECT_EQ(code(platform_.custom_send("wx1", text)), 45047);
  ASSERT_TRUE(platform_.text("wx1", openid, "again"));
  clock_.advance(48h + 1s);
  EXPECT_EQ(code(platform_.custom_send("wx1", text)), 45015);
  EXPECT_EQ(platform_.received("wx1", openid).size(), 8u);
  EXPECT_EQ(code(platform_.custom_send("wx1", Json{{"touser", openid}, {"msgtype", "nope"}})), 40008);
}

TEST_F(PlatformTest, DatacubeCountsWhatHappened) {
  const Json qr = create(perm_int(1));
  auto users = *platform_.create_users("wx1", 5);
  // Day 1 (2024-04-25): 3 follow by QR, 1 by search; 1 QR follower leaves.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(platform_.scan("wx1", users[i].openid, qr["ticket"].get<std::string>(), true));
  ASSERT_TRUE(platform_.follow("wx1", users[3].openid, "ADD_SCENE_SEARCH"));
  ASSERT_TRUE(platform_.unfollow("wx1", users[0].openid));
  // Day 3 (2024-04-27): one more by QR.
  clock_.advance(48h);
  ASSERT_TRUE(platform_.scan("wx1", users[4].openid, qr["ticket"].get<std::string>(), true));
  clock_.advance(24h);  // now 2024-04-28 10:00 Beijing: yesterday is readable

  auto summary = platform_.datacube("wx1", Json{{"begin_date", "2024-04-25"}, {"end_date", "2024-04-27"}}, false);
  ASSERT_TRUE(summary) << summary.error().to_string();
  std::map<std::pair<std::string, int>, std::pair<int, int>> got;
  for (const auto& e : (*summary)["list"]) {
    got[{e["ref_date"], e["user_source"]}] = {e["new_user"], e["cancel_user"]};
  }
  EXPECT_EQ((got[{"2024-04-25", 30}]), std::make_pair(3, 1));
  EXPECT_EQ((got[{"2024-04-25", 1}]), std::make_pair(1, 0));
  EXPECT_EQ((got[{"2024-04-26", 0}]), std::make_pair(0, 0));
  EXPECT_EQ((got[{"2024-04-27", 30}]), std::make_pair(1, 0));

  auto cumulate = platform_.datacube("wx1", Json{{"begin_date", "2024-04-25"}, {"end_date", "2024-04-27"}}, true);
  ASSERT_TRUE(cumulate);
  ASSERT_EQ((*cumulate)["list"].size(), 3u);
  EXPECT_EQ((*cumulate)["list"][0]["cumulate_user"], 3);
  EXPECT_EQ((*cumulate)["list"][1]["cumulate_user"], 3);
  EXPECT_EQ((*cumulate)["list"][2]["cumulate_user"], 4);

  auto dc = [&](const char* b, const char* e) {
    return code(platform_.datacube("wx1", Json{{"begin_date", b}, {"end_date", e}}, false));
  };
  EXPECT_EQ(dc("2024-04-1", "2024-04-20"), 61500);
  EXPECT_EQ(dc("2024-02-30", "2024-03-01"), 61500);
  EXPECT_EQ(dc("2024-04-10", "2024-04-17"), 61501);  // 8 days
  EXPECT_EQ(dc("2024-04-11", "2024-04-17"), 0);      // 7 days
  EXPECT_EQ(dc("2024-04-27", "2024-04-28"), 61501);  // today is not over
  EXPECT_EQ(dc("2024-04-20", "2024-04-19"), 61501);
  EXPECT_EQ(dc("2014-11-30", "2014-12-01"), 61501);
}

TEST_F(PlatformTest, SameSeedSameRun) {
  auto run = [](std::uint64_t seed) {
    FakeClock clock{kStart};
    Rng rng{seed};
    Platform p(clock, rng);
    p.add_account(test_account("wx1"));
    auto users = *p.create_users("wx1", 3);
    const Json r = *p.qrcode_create("wx1", temp_int(5, 600));
    return users[2].openid + "|" + r["ticket"].get<std::string>();
  };
  EXPECT_EQ(run(99), run(99));
  EXPECT_NE(run(99), run(100));
}

TEST_F(PlatformTest, SavedStateRestoresEverything) {
  const Json qr = create(perm_str("saved"));
  const std::string openid = user();
  ASSERT_TRUE(platform_.scan("wx1", openid, qr["ticket"].get<std::string>(), true));
  ASSERT_TRUE(platform_.tags_create("wx1", Json{{"tag", {{"name", "kept"}}}}));
  const Json saved = platform_.to_json();

  FakeClock clock{kStart};
  Rng rng{2};
  Platform restored(clock, rng);
  ASSERT_TRUE(restored.from_json(Json::parse(saved.dump())));
  EXPECT_EQ(restored.to_json(), saved);
  EXPECT_TRUE(restored.user("wx1", openid)->subscribed);
  EXPECT_TRUE(restored.ticket(qr["ticket"].get<std::string>()));
  // The permanent scene is still taken: the same ticket comes back.
  EXPECT_EQ((*restored.qrcode_create("wx1", perm_str("saved")))["ticket"], qr["ticket"]);

  EXPECT_FALSE(restored.from_json(Json{{"version", 7}}));
  EXPECT_FALSE(restored.from_json(Json{{"version", 1}, {"accounts", {{{"appid", "x"}}}}}));
  EXPECT_TRUE(restored.user("wx1", openid));  // a failed load changes nothing
}

}  // namespace
}  // namespace qrscene::sim
