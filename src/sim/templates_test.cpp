// Template messages on the Platform: the account's templates, message/template/send's errcodes,
// what a recipient sees (before and since 2023-05-04), client_msg_id, the TEMPLATESENDJOBFINISH
// push and the daily quota.
#include <gtest/gtest.h>

#include <string>

#include "sim/platform.h"

namespace qrscene::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStart = 1714010400;  // 2024-04-25 10:00 Beijing
constexpr const char* kContent = "{{first.DATA}}\n活动：{{keyword1.DATA}}\n进度：{{keyword2.DATA}}\n{{remark.DATA}}";

SimAccount account(std::string appid, bool verified = true) {
  SimAccount a;
  a.appid = std::move(appid);
  a.secret = "s";
  a.verified = verified;
  return a;
}

class TemplatesTest : public ::testing::Test {
 protected:
  explicit TemplatesTest(PlatformOptions o = {}) : platform_(clock_, rng_, std::move(o)) {
    platform_.add_account(account("wx1"));
    platform_.add_account(account("wx2"));
    auto t = platform_.add_template("wx1", SimTemplate{"TPL-progress", "助力进度通知", kContent, "", "", ""});
    EXPECT_TRUE(t);
  }

  std::string follower() {
    const std::string openid = platform_.create_users("wx1", 1)->front().openid;
    EXPECT_TRUE(platform_.follow("wx1", openid, ""));
    return openid;
  }
  static Json send_body(const std::string& openid, std::string client_msg_id = {}) {
    Json b{{"touser", openid},
           {"template_id", "TPL-progress"},
           {"url", "https://example.com/campaign"},
           {"data",
            {{"first", {{"value", "恭喜！"}}},
             {"keyword1", {{"value", "春季海报"}, {"color", "#173177"}}},
             {"keyword2", {{"value", "已有3位好友助力"}}},
             {"remark", {{"value", "点击查看奖励"}}}}}};
    if (!client_msg_id.empty()) b["client_msg_id"] = client_msg_id;
    return b;
  }
  std::int64_t code(const Result<TemplateSend>& r) { return r ? 0 : r.error().detail; }

  FakeClock clock_{kStart};
  Rng rng_{4};
  Platform platform_;
};

TEST_F(TemplatesTest, ASendToAFollowerNeedsNoWindowAndIsReceivedAsShown) {
  const std::string openid = follower();
  clock_.advance(72h);  // long past every customer-service window
  EXPECT_EQ(platform_.custom_send("wx1", Json{{"touser", openid}, {"msgtype", "text"}, {"text", {{"content", "x"}}}})
                .error()
                .detail,
            45015);
  auto sent = platform_.template_send("wx1", send_body(openid));
  ASSERT_TRUE(sent) << sent.error().to_string();
  EXPECT_EQ(sent->answer["errcode"], 0);
  EXPECT_EQ(sent->answer["errmsg"], "ok");
  const std::int64_t msgid = sent->answer["msgid"];
  EXPECT_GT(msgid, 2'147'483'647);  // above int32, as real msgids may be
  // The push WeChat sends after it carries the same MsgID.
  ASSERT_TRUE(sent->finished);
  EXPECT_EQ(sent->finished->event, "TEMPLATESENDJOBFINISH");
  EXPECT_EQ(sent->finished->openid, openid);
  EXPECT_NE(sent->finished->xml.find("<MsgID>" + std::to_string(msgid) + "</MsgID>"), std::string::npos);
  EXPECT_NE(sent->finished->xml.find("<Status><![CDATA[success]]></Status>"), std::string::npos);
  // Since 2023-05-04: no first line, no remark.
  const auto got = platform_.received("wx1", openid);
  ASSERT_EQ(got.size(), 1u);
  const Json& m = got[0].message;
  EXPECT_EQ(m["msgtype"], "template");
  EXPECT_EQ(m["template"]["content"], "活动：春季海报\n进度：已有3位好友助力");
  EXPECT_EQ(m["template"]["title"], "助力进度通知");
  EXPECT_EQ(m["template"]["msgid"], msgid);
  EXPECT_EQ(m["template"]["url"], "https://example.com/campaign");
  EXPECT_EQ(m["template"]["data"]["remark"]["value"], "点击查看奖励");  // as sent, though not shown
}

TEST_F(TemplatesTest, ValuesAreShownOnOneLineOfAtMostTwentyCharacters) {
  const std::string openid = follower();
  Json b = send_body(openid);
  b["data"]["keyword1"]["value"] = "一二三四五六七八九十\n一二三四五六七八九十ABC";
  ASSERT_TRUE(platform_.template_send("wx1", b));
  EXPECT_EQ(platform_.received("wx1", openid)[0].message["template"]["content"],
            "活动：一二三四五六七八九十一二三四五六七八九十\n进度：已有3位好友助力");
}

class LegacyTemplatesTest : public TemplatesTest {
 protected:
  static PlatformOptions legacy() {
    PlatformOptions o;
    o.template_legacy_display = true;
    o.template_client_msg_id_seconds = 24 * 3600;
    o.daily_quota["message/template/send"] = {2, 2};
    return o;
  }
  LegacyTemplatesTest() : TemplatesTest(legacy()) {}
};

TEST_F(LegacyTemplatesTest, BeforeMay2023EverythingWasShown) {
  const std::string openid = follower();
  ASSERT_TRUE(platform_.template_send("wx1", send_body(openid, "a")));
  EXPECT_EQ(platform_.received("wx1", openid)[0].message["template"]["content"],
            "恭喜！\n活动：春季海报\n进度：已有3位好友助力\n点击查看奖励");
  // A longer client_msg_id window, and the quota (2 here) refuses the third send with 45009
  // (13 hours on is still the same Beijing day).
  clock_.advance(13h);
  EXPECT_FALSE(platform_.template_send("wx1", send_body(openid, "a"))->finished);
  ASSERT_TRUE(platform_.template_send("wx1", send_body(openid, "b")));
  auto third = platform_.template_send("wx1", send_body(openid, "c"));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().detail, 45009);
}

TEST_F(TemplatesTest, ErrcodesOfTheSend) {
  const std::string openid = follower();
  Json b = send_body(openid);
  b["template_id"] = "TPL-unknown";
  EXPECT_EQ(code(platform_.template_send("wx1", b)), 40037);
  EXPECT_EQ(code(platform_.template_send("wx2", send_body(openid))), 40037);  // another account's template
  EXPECT_EQ(code(platform_.template_send("wx1", send_body("o_nobody"))), 40003);
  EXPECT_EQ(code(platform_.template_send("wx1", send_body(""))), 40003);
  const std::string stranger = platform_.create_users("wx1", 1)->front().openid;
  EXPECT_EQ(code(platform_.template_send("wx1", send_body(stranger))), 43004);  // not following
  ASSERT_TRUE(platform_.unfollow("wx1", openid));
  EXPECT_EQ(code(platform_.template_send("wx1", send_body(openid))), 43004);
  ASSERT_TRUE(platform_.follow("wx1", openid, ""));
  for (const Json& data : {Json(), Json("text"), Json::array(), Json{{"keyword1", "bare string"}},
                           Json{{"keyword1", {{"value", 3}}}}, Json{{"keyword1", {{"color", "#000"}}}},
                           Json{{"keyword1", {{"value", "v"}, {"color", 1}}}}}) {
    Json bad = send_body(openid);
    if (data.is_null()) {
      bad.erase("data");
    } else {
      bad["data"] = data;
    }
    EXPECT_EQ(code(platform_.template_send("wx1", bad)), 47001) << data.dump();
  }
  EXPECT_EQ(code(platform_.template_send("wx1", Json::array())), 47001);
  Json bad_url = send_body(openid);
  bad_url["url"] = 5;
  EXPECT_EQ(code(platform_.template_send("wx1", bad_url)), 47001);
  platform_.add_account(account("wxunverified", false));
  EXPECT_EQ(code(platform_.template_send("wxunverified", send_body(openid))), 48001);
  EXPECT_TRUE(platform_.received("wx1", openid).empty());  // nothing reached the user
}

TEST_F(TemplatesTest, ARepeatedClientMsgIdAnswersTheFirstMsgidWithoutSendingAgain) {
  const std::string openid = follower();
  auto first = platform_.template_send("wx1", send_body(openid, "campaign-7/reward/1"));
  ASSERT_TRUE(first);
  auto again = platform_.template_send("wx1", send_body(openid, "campaign-7/reward/1"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->answer["msgid"], first->answer["msgid"]);
  EXPECT_FALSE(again->finished);  // no second push
  EXPECT_EQ(platform_.received("wx1", openid).size(), 1u);
  // Another id, or another user with the same id, is another message.
  EXPECT_NE(platform_.template_send("wx1", send_body(openid, "campaign-7/reward/2"))->answer["msgid"],
            first->answer["msgid"]);
  const std::string other = follower();
  EXPECT_TRUE(platform_.template_send("wx1", send_body(other, "campaign-7/reward/1"))->finished);
  // After 10 minutes the id no longer protects: a new message.
  clock_.advance(600s);
  auto later = platform_.template_send("wx1", send_body(openid, "campaign-7/reward/1"));
  ASSERT_TRUE(later);
  EXPECT_NE(later->answer["msgid"], first->answer["msgid"]);
  EXPECT_EQ(platform_.received("wx1", openid).size(), 3u);
  // Without a client_msg_id every send is a message.
  EXPECT_NE(platform_.template_send("wx1", send_body(openid))->answer["msgid"],
            platform_.template_send("wx1", send_body(openid))->answer["msgid"]);
}

TEST_F(TemplatesTest, TemplatesAreListedAddedAndSaved) {
  auto minted = platform_.add_template("wx1", SimTemplate{"", "奖励到账提醒", "奖励：{{thing1.DATA}}", "", "", ""});
  ASSERT_TRUE(minted);
  EXPECT_EQ(minted->template_id.size(), 43u);
  EXPECT_EQ(platform_.add_template("wx1", SimTemplate{"TPL-progress", "t", "c", "", "", ""}).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(platform_.add_template("wx1", SimTemplate{"X", "", "c", "", "", ""}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_FALSE(platform_.add_template("wxnobody", SimTemplate{"X", "t", "c", "", "", ""}));
  auto list = platform_.get_all_private_template("wx1");
  ASSERT_TRUE(list);
  ASSERT_EQ((*list)["template_list"].size(), 2u);
  EXPECT_TRUE((*platform_.get_all_private_template("wx2"))["template_list"].empty());

  FakeClock clock{kStart};
  Rng rng{8};
  Platform restored(clock, rng);
  ASSERT_TRUE(restored.from_json(platform_.to_json()));
  auto again = restored.templates("wx1");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*restored.get_all_private_template("wx1"))["template_list"], (*list)["template_list"]);
}

}  // namespace
}  // namespace qrscene::sim
