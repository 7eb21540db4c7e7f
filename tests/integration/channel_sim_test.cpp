// Channels as a marketer meets them, end to end against the simulator (issue 27): what a follower
// sees of a channel's replies, codes that are about to die or fail to renew, the permanent quota as
// WeChat counts it, attribution as of the event's time, reconciliation, and the fraud signals.
#include <algorithm>
#include <map>
#include <tuple>

#include "base/encoding.h"
#include "base/strings.h"
#include "service/job_runner.h"
#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

domain::ReplyChoice text_reply(std::string text) {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kText;
  r.text = std::move(text);
  return r;
}

domain::ReplyChoice news_reply(std::string url) {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kNews;
  r.title = "{channel}";
  r.url = std::move(url);
  return r;
}

// A reply holding "]]>" reaches the follower whole (the reply is written as two CDATA sections,
// which WeChat's client joins), and {scene}, {channel} and {owner} are filled in a news article's
// URL too, percent-encoded so that they cannot change its shape.
TEST_F(ServiceSimTest, RepliesReachTheFollowerWholeAndANewsUrlCarriesTheScene) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "春季 海报";
  spec.owner = "小王&小李";
  spec.kind = domain::ChannelKind::kPermanent;
  spec.scene = "spring/2026";
  spec.string_scene = true;
  spec.on_subscribe = text_reply("a]]>b {scene}");
  spec.on_scan = news_reply("https://shop.example/landing?from={scene}&by={owner}&c={channel}");
  auto c = runtime_->channels().create(spec);
  ASSERT_TRUE(c) << c.error().to_string();
  const std::string u = user();
  const auto followed = act(sim_->platform().scan(kPlainApp, u, c->ticket, true));
  EXPECT_EQ(followed.delivery.outcome, sim::Delivery::Outcome::kReplied) << followed.delivery.problem;
  EXPECT_EQ(followed.delivery.user_sees, "a]]>b spring/2026");
  const auto scanned = act(sim_->platform().scan(kPlainApp, u, c->ticket, true));
  EXPECT_EQ(scanned.delivery.user_sees, "[news] 春季 海报");
  EXPECT_THAT(scanned.delivery.reply_xml,
              HasSubstr("<Url><![CDATA[https://shop.example/landing?from=spring%2F2026"
                        "&by=%E5%B0%8F%E7%8E%8B%26%E5%B0%8F%E6%9D%8E&c=%E6%98%A5%E5%AD%A3%20%E6%B5%B7%E6%8A%A5]]></Url>"));
}

// A code that will die is flagged ahead of time; a renewal WeChat refuses is shown on the channel
// and in /metrics until one works.
TEST_F(ServiceSimTest, CodesAboutToDieAndFailedRenewalsAreShownAheadOfTime) {
  start(config());
  service::ChannelSpec evergreen;
  evergreen.appid = kPlainApp;
  evergreen.name = "门店屏幕";
  evergreen.evergreen = true;
  evergreen.expire_seconds = 2 * 86'400;
  auto screen = runtime_->channels().create(evergreen);
  service::ChannelSpec flyer = evergreen;
  flyer.name = "传单";
  flyer.evergreen = false;
  flyer.expire_seconds = 5 * 86'400;
  auto printed = runtime_->channels().create(flyer);
  ASSERT_TRUE(screen && printed);
  const auto show = [&](std::int64_t id) { return api_json("GET", fmt::format("/api/v1/channels/{}", id)); };
  EXPECT_EQ(show(printed->id)["expiry_warning"], false);  // 5 days left
  EXPECT_EQ(show(screen->id)["expiry_warning"], false);   // renewed in time

  clock_.advance(std::chrono::hours(50));  // the flyer has 70 h left; the screen's code is due
  sim::ApiFault refuse;
  refuse.path = "/cgi-bin/qrcode/create";
  refuse.errcode = 45009;
  refuse.times = -1;
  sim_->add_fault(refuse);
  const auto failed = runtime_->upkeep();
  EXPECT_EQ(failed.failed, std::vector<std::int64_t>{screen->id});
  const auto flagged = show(printed->id);
  EXPECT_EQ(flagged["expiry_warning"], true);
  EXPECT_EQ(flagged["expires_in_seconds"], 70 * 3600);
  const auto failing = show(screen->id);
  ASSERT_TRUE(failing["renewal_failure"].is_object()) << failing.dump();
  EXPECT_EQ(failing["renewal_failure"]["at"], clock_.unix_seconds());
  EXPECT_THAT(failing["renewal_failure"]["error"].get<std::string>(), HasSubstr("45009"));
  EXPECT_EQ(failing["expiry_warning"], true);  // it will die: its renewal fails
  EXPECT_THAT(runtime_->metrics_text(), HasSubstr("qrscene_channels_renewal_failing 1\n"));
  EXPECT_THAT(runtime_->metrics_text(), HasSubstr("qrscene_channel_renewal_failures_total 1\n"));
  EXPECT_THAT(runtime_->metrics_text(), HasSubstr("qrscene_channels_expiring 2\n"));
  // The backend hears of it too, signed like an event's webhook: the flyer will die, the screen's
  // renewal fails.
  (void)runtime_->upkeep();  // the screen is now a code that will die as well
  ASSERT_TRUE(runtime_->run_jobs());
  {
    std::lock_guard lock(hook_mu_);
    std::vector<std::string> told;
    for (const auto& h : hooks_) {
      EXPECT_EQ(h.signature, service::webhook_signature("hook-secret", std::stoll(h.timestamp), h.body));
      const auto j = nlohmann::json::parse(h.body);
      told.push_back(j["event"].get<std::string>() + ":" + std::to_string(j["channel_id"].get<std::int64_t>()));
    }
    std::vector<std::string> expected = {"channel.expiring:" + std::to_string(printed->id),
                                         "channel.expiring:" + std::to_string(screen->id),
                                         "channel.renewal_failed:" + std::to_string(screen->id)};
    std::sort(told.begin(), told.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(told, expected);
  }

  sim_->clear_faults();
  const auto renewed = runtime_->upkeep();
  EXPECT_EQ(renewed.renewed, std::vector<std::int64_t>{screen->id});
  const auto fine = show(screen->id);
  EXPECT_TRUE(fine["renewal_failure"].is_null()) << fine.dump();
  EXPECT_EQ(fine["expiry_warning"], false);
  EXPECT_NE(fine["url"], screen->url);  // a new URL: a printed copy of the old one dies at the old expiry
  EXPECT_THAT(runtime_->metrics_text(), HasSubstr("qrscene_channels_renewal_failing 0\n"));
}

// WeChat is the judge of the permanent quota: its refusal is remembered and shown, codes made
// outside qrscene can be entered, and a new permanent channel reuses a retired scene first.
TEST_F(ServiceSimTest, ThePermanentQuotaIsWhatWeChatSaysAndRetiredScenesAreReusedFirst) {
  start(config());
  const std::string quota = fmt::format("/api/v1/quota?appid={}", kPlainApp);
  const std::string make = fmt::format(R"({{"appid":"{}","name":"海报","kind":"permanent"}})", kPlainApp);
  auto first = api_json("POST", fmt::format("/api/v1/channels?appid={}", kPlainApp), make, 201);
  EXPECT_EQ(first["scene"], "1");
  api_json("POST", fmt::format("/api/v1/channels/{}/retire", first["id"].get<std::int64_t>()), "", 200);
  auto second = api_json("POST", fmt::format("/api/v1/channels?appid={}", kPlainApp), make, 201);
  EXPECT_EQ(second["scene"], "1");  // the retired scene again: no quota spent
  EXPECT_EQ(api_json("GET", quota)["used"], 1);

  auto entered = api_json("PUT", quota, R"({"external": 250})");
  EXPECT_EQ(entered["external"], 250);
  EXPECT_EQ(entered["used"], 251);
  EXPECT_EQ(entered["left"], 100'000 - 251);
  auto bad = api("PUT", quota, R"({"external": -3})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  auto huge = api("PUT", quota, R"({"external": 18446744073709551615})");  // not -1 read as signed
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 400U);
  EXPECT_THAT(huge->body, HasSubstr("external: is too large"));

  sim::ApiFault spent;
  spent.path = "/cgi-bin/qrcode/create";
  spent.errcode = 45029;
  sim_->add_fault(spent);
  auto refused = api("POST", fmt::format("/api/v1/channels?appid={}", kPlainApp), make);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429U) << refused->body;  // as qrscene's own quota refusal
  EXPECT_THAT(refused->body, HasSubstr("45029"));
  auto meter = api_json("GET", quota);
  EXPECT_EQ(meter["wechat_refused_at"], clock_.unix_seconds());
  EXPECT_EQ(meter["left"], 0);
}

// Fifty channels' codes at once: a ZIP of any filter of the channel list, each file named after its
// channel and listed in index.csv; retired codes are left out unless asked for.
TEST_F(ServiceSimTest, AFilterOfTheChannelListDownloadsAsOneZip) {
  start(config());
  for (int i = 0; i < 50; ++i) {
    service::ChannelSpec spec;
    spec.appid = kPlainApp;
    spec.name = fmt::format("门店 {}", i);
    spec.group = i < 30 ? "华东" : "华南";
    ASSERT_TRUE(runtime_->channels().create(spec));
  }
  auto retired = runtime_->channels().list(kPlainApp);
  ASSERT_TRUE(retired && retired->size() == 50U);
  ASSERT_TRUE(runtime_->channels().set_status(retired->front().id, domain::ChannelStatus::kRetired));
  auto zip = api("GET", fmt::format("/api/v1/channels/qr.zip?appid={}&group={}&size=200", kPlainApp,
                                    percent_encode("华东")));
  ASSERT_TRUE(zip);
  ASSERT_EQ(zip->status, 200U) << zip->body;
  EXPECT_EQ(zip->content_type, "application/zip");
  ASSERT_TRUE(zip->body.starts_with("PK"));
  // 29 codes (one of the 30 is retired) and the index. A stored file's name is in its local header
  // and in the central directory (the index is compressed: its text is not seen here).
  std::size_t pngs = 0;
  for (std::size_t at = zip->body.find(".png"); at != std::string::npos; at = zip->body.find(".png", at + 1)) ++pngs;
  EXPECT_EQ(pngs, 2U * 29U);
  EXPECT_NE(zip->body.find("index.csv"), std::string::npos);
  EXPECT_EQ(zip->body.find(fmt::format("{}-", retired->front().id) + "门店 0.png"), std::string::npos);
  auto none = api("GET", fmt::format("/api/v1/channels/qr.zip?appid={}&owner=nobody", kPlainApp));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404U);
  auto bad = api("GET", fmt::format("/api/v1/channels/qr.zip?appid={}&format=gif", kPlainApp));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  auto large = api("GET", fmt::format("/api/v1/channels/qr.zip?appid={}&size=2000", kPlainApp));
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 400U);  // 2,000 codes of 2,000 px each would hold the pool for minutes
  EXPECT_THAT(large->body, HasSubstr("at most 1024 pixels in a ZIP"));
}

// One channel read alone carries the same lifetime figures as the list (`qrscene channel show`
// printed zeros for a channel with traffic): follows, unfollows and net, and zeros before any.
TEST_F(ServiceSimTest, OneChannelShowsTheSameTotalsAsTheList) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "地推";
  auto busy = runtime_->channels().create(spec);
  ASSERT_TRUE(busy) << busy.error().to_string();
  spec.name = "未投放";
  auto quiet = runtime_->channels().create(spec);
  ASSERT_TRUE(quiet) << quiet.error().to_string();
  std::vector<std::string> who;
  for (int i = 0; i < 5; ++i) {
    who.push_back(user());
    act(sim_->platform().scan(kPlainApp, who.back(), busy->ticket, true));
  }
  act(sim_->platform().unfollow(kPlainApp, who[0]));
  const auto one = api_json("GET", fmt::format("/api/v1/channels/{}", busy->id));
  EXPECT_EQ(one["totals"]["new_follows"], 5) << one.dump();
  EXPECT_EQ(one["totals"]["unfollows"], 1);
  EXPECT_EQ(one["totals"]["net"], 4);
  const auto list = api_json("GET", fmt::format("/api/v1/channels?appid={}", kPlainApp));
  bool listed = false;
  for (const auto& c : list) {
    if (c["id"] != busy->id) continue;
    listed = true;
    EXPECT_EQ(c["totals"], one["totals"]);
  }
  EXPECT_TRUE(listed) << list.dump();
  const auto none = api_json("GET", fmt::format("/api/v1/channels/{}", quiet->id));
  EXPECT_EQ(none["totals"]["new_follows"], 0) << none.dump();
  EXPECT_EQ(none["totals"]["net"], 0);
}

// A permanent scene reused by a new channel keeps its ticket. A push from before the move, delivered
// after it (delayed, or retried), belongs to the channel the scene meant when it was scanned.
TEST_F(ServiceSimTest, ADelayedPushOfAReusedPermanentSceneGoesToTheChannelItMeantThen) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "旧海报";
  spec.kind = domain::ChannelKind::kPermanent;
  spec.scene = "poster";
  spec.string_scene = true;
  auto old_channel = runtime_->channels().create(spec);
  ASSERT_TRUE(old_channel) << old_channel.error().to_string();
  // Scanned while the scene is the old channel's; WeChat's push arrives only after the move.
  auto delayed = sim_->platform().scan(kPlainApp, user(), old_channel->ticket, true);
  ASSERT_TRUE(delayed);
  clock_.advance(std::chrono::minutes(10));
  ASSERT_TRUE(runtime_->channels().set_status(old_channel->id, domain::ChannelStatus::kRetired));
  spec.name = "新海报";
  auto new_channel = runtime_->channels().create(spec);
  ASSERT_TRUE(new_channel) << new_channel.error().to_string();
  ASSERT_EQ(new_channel->ticket, old_channel->ticket);  // WeChat gives a permanent scene the same ticket
  clock_.advance(std::chrono::minutes(1));
  act(std::move(delayed));
  act(sim_->platform().scan(kPlainApp, user(), new_channel->ticket, true));  // after the move
  EXPECT_EQ(totals(old_channel->id).new_follows, 1);
  EXPECT_EQ(totals(new_channel->id).new_follows, 1);
}

// Reconciliation with WeChat's datacube: before 08:00 Beijing time WeChat has not published
// yesterday, and its figures are unknown (null), not 0; follows through codes made outside qrscene
// are shown by scene, and explain their part of WeChat's QR count.
TEST_F(ServiceSimTest, ReconciliationWaitsForWeChatsFiguresAndShowsScenesItDoesNotKnow) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "门店";
  spec.kind = domain::ChannelKind::kPermanent;
  auto c = runtime_->channels().create(spec);
  ASSERT_TRUE(c) << c.error().to_string();
  // A code made in WeChat's console, not through qrscene.
  auto outside = sim_->platform().qrcode_create(
      kPlainApp, nlohmann::json{{"action_name", "QR_LIMIT_STR_SCENE"},
                                {"action_info", {{"scene", {{"scene_str", "made-elsewhere"}}}}}});
  ASSERT_TRUE(outside) << outside.error().to_string();
  for (int i = 0; i < 3; ++i) act(sim_->platform().scan(kPlainApp, user(), c->ticket, true));
  for (int i = 0; i < 2; ++i) act(sim_->platform().scan(kPlainApp, user(), (*outside)["ticket"].get<std::string>(), true));
  const std::string day = format_iso_date(domain::local_day(kStart, runtime_->store().utc_offset_seconds()));
  const std::string path = fmt::format("/api/v1/stats/reconciliation?appid={}&from={}&to={}", kPlainApp, day, day);

  clock_.advance(std::chrono::hours(20));  // 06:00 Beijing the next day: not published yet
  auto early = api_json("GET", path);
  ASSERT_EQ(early.size(), 1U) << early.dump();
  EXPECT_EQ(early[0]["wechat_published"], false);
  EXPECT_TRUE(early[0]["wechat_follows"].is_null()) << early.dump();
  EXPECT_TRUE(early[0]["follows_difference"].is_null());
  EXPECT_EQ(early[0]["ours_follows"], 3);
  EXPECT_EQ(early[0]["unknown_scene_follows"], 2);
  EXPECT_EQ(early[0]["unknown_scenes"], nlohmann::json::parse(R"([{"scene":"made-elsewhere","follows":2}])"));

  clock_.advance(std::chrono::hours(3));  // 09:00: published
  auto later = api_json("GET", path);
  ASSERT_EQ(later.size(), 1U);
  EXPECT_EQ(later[0]["wechat_published"], true);
  EXPECT_EQ(later[0]["wechat_follows"], 5);
  EXPECT_EQ(later[0]["follows_difference"], 0);  // 3 through channels + 2 through the outside code
}

// The burst signal judges a day against the days before it: a launch after a quiet history is no
// burst (with the old rule, a median of 0, it always was), and a jump far above steady days is one.
TEST_F(ServiceSimTest, ALaunchIsNoBurstButAJumpAboveSteadyDaysIs) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "地推";
  spec.kind = domain::ChannelKind::kPermanent;
  auto c = runtime_->channels().create(spec);
  ASSERT_TRUE(c) << c.error().to_string();
  auto follows = [&](int n) {
    for (int i = 0; i < n; ++i) act(sim_->platform().scan(kPlainApp, user(), c->ticket, true));
  };
  follows(30);  // the launch
  for (int d = 1; d <= 7; ++d) {
    clock_.advance(std::chrono::hours(24));
    follows(4);
  }
  clock_.advance(std::chrono::hours(24));
  follows(40);  // the bar after seven days of 4: max(20, 3 × 4, 4 + 4 × √4) = 20
  const std::int64_t first = domain::local_day(kStart, runtime_->store().utc_offset_seconds());
  const auto stats = api_json("GET", fmt::format("/api/v1/stats?appid={}&channel={}&from={}&to={}", kPlainApp, c->id,
                                                 format_iso_date(first - 3), format_iso_date(first + 8)));
  EXPECT_EQ(stats["totals"]["new_follows"], 30 + 7 * 4 + 40);
  const auto& bursts = stats["fraud"]["bursts"];
  ASSERT_EQ(bursts.size(), 1U) << bursts.dump();
  EXPECT_EQ(bursts[0]["label"], format_iso_date(first + 8));
  EXPECT_EQ(bursts[0]["new_follows"], 40);
  EXPECT_EQ(bursts[0]["threshold"], 20);
  const double baseline = bursts[0]["baseline"];
  EXPECT_DOUBLE_EQ(baseline, 4.0);
}

// GET /api/v1/tags lists the account's WeChat tags with their followers; one channel names its tag.
TEST_F(ServiceSimTest, TheAccountsTagsAreListedAndAChannelNamesItsTag) {
  start(config());
  const auto tagged = channel("Tagged", domain::ChannelKind::kPermanent, "地推粉丝");
  const auto plain = channel("Plain");
  ASSERT_NE(tagged.wechat_tag_id, 0);
  act(sim_->platform().scan(kPlainApp, user(), tagged.ticket, true));
  ASSERT_TRUE(runtime_->run_jobs());  // the follower is tagged
  const auto tags = api_json("GET", fmt::format("/api/v1/tags?appid={}", kPlainApp));
  ASSERT_TRUE(tags.is_array()) << tags.dump();
  const auto it = std::find_if(tags.begin(), tags.end(), [](const auto& t) { return t["name"] == "地推粉丝"; });
  ASSERT_NE(it, tags.end()) << tags.dump();
  EXPECT_EQ((*it)["id"], tagged.wechat_tag_id);
  EXPECT_EQ((*it)["count"], 1);
  for (const auto& t : tags) {
    EXPECT_TRUE(t["id"].is_number_integer() && t["name"].is_string() && t["count"].is_number_integer()) << t.dump();
  }
  EXPECT_EQ(api_json("GET", fmt::format("/api/v1/channels/{}", tagged.id))["tag"], "地推粉丝");
  EXPECT_TRUE(api_json("GET", fmt::format("/api/v1/channels/{}", plain.id))["tag"].is_null());
  // The tag renamed in WeChat's console: the channel shows the new name.
  ASSERT_TRUE(runtime_->clients().get(kPlainApp).value()->update_tag(tagged.wechat_tag_id, "地推"));
  EXPECT_EQ(api_json("GET", fmt::format("/api/v1/channels/{}", tagged.id))["tag"], "地推");
  // Two accounts: appid is required, with its code.
  const auto none = api("GET", "/api/v1/tags");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 400U);
  EXPECT_EQ(nlohmann::json::parse(none->body)["error"]["problems"][0]["code"], "required");
  EXPECT_EQ(api("GET", "/api/v1/tags?appid=wxnotconfigured0001")->status, 404U);
}

// Bad input through the API: each problem with its stable code and params, in a 400 and in an
// import's row errors alike.
TEST_F(ServiceSimTest, ProblemsCarryStableCodesInAnswersAndImportRows) {
  start(config());
  const auto problems = [&](const std::string& body) {
    auto r = api("POST", "/api/v1/channels", body);
    EXPECT_TRUE(r);
    if (!r) return nlohmann::json();
    EXPECT_EQ(r->status, 400U) << body << " → " << r->body;
    std::map<std::string, nlohmann::json> by_field;
    const auto answer = nlohmann::json::parse(r->body);
    for (const auto& p : answer["error"]["problems"]) by_field[p["field"]] = p;
    return nlohmann::json(by_field);
  };
  auto typed = problems(fmt::format(R"({{"appid":"{}","kind":"forever","colour":"red","spend_cents":"x"}})", kPlainApp));
  EXPECT_EQ(typed["colour"]["code"], "unknown_field");
  EXPECT_EQ(typed["kind"]["code"], "not_one_of");
  EXPECT_EQ(typed["kind"]["params"]["allowed"], "temporary,permanent");
  EXPECT_EQ(typed["spend_cents"]["code"], "not_integer");
  EXPECT_FALSE(typed["colour"].contains("params"));
  auto values = problems(fmt::format(
      R"({{"appid":"{}","name":"","expire_seconds":5,"spend_cents":-1,"owner":"{}"}})", kPlainApp, std::string(201, 'o')));
  EXPECT_EQ(values["name"]["code"], "required");
  EXPECT_EQ(values["owner"]["code"], "too_long");
  EXPECT_EQ(values["owner"]["params"], nlohmann::json({{"max", "200"}}));
  EXPECT_EQ(values["expire_seconds"]["code"], "out_of_range");
  EXPECT_EQ(values["expire_seconds"]["params"], nlohmann::json({{"min", "60"}, {"max", "2592000"}}));
  EXPECT_EQ(values["spend_cents"]["params"], nlohmann::json({{"min", "0"}, {"max", "1000000000000"}}));
  auto scene = problems(fmt::format(R"({{"appid":"{}","name":"login-like","scene":"qrl_abc"}})", kPlainApp));
  EXPECT_EQ(scene["scene"]["code"], "scene_reserved");
  EXPECT_EQ(scene["scene"]["params"]["prefix"], "qrl_");
  auto evergreen =
      problems(fmt::format(R"({{"appid":"{}","name":"p","kind":"permanent","evergreen":true}})", kPlainApp));
  EXPECT_EQ(evergreen["evergreen"]["code"], "evergreen_permanent");

  // The import: each failed row names its first problem's field and code, and lists them all.
  const std::string csv =
      "name,kind,scene,expire_seconds,evergreen\n"
      "好的,temporary,,,\n"
      "坏的种类,weekly,,,\n"
      ",temporary,,,\n"
      "长时间,temporary,,soon,\n"
      "保留,temporary,qrl_x,,\n"
      "常青,temporary,,,maybe\n"
      "门店A,temporary,store-a,,\n"
      "重复,temporary,store-a,,\n";
  auto imported = api("POST", fmt::format("/api/v1/channels/import?appid={}", kPlainApp), csv, kAdminToken, "text/csv");
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->status, 207U) << imported->body;
  const auto result = nlohmann::json::parse(imported->body);
  ASSERT_EQ(result["created"].size(), 2U) << imported->body;
  const auto& errors = result["errors"];
  ASSERT_EQ(errors.size(), 6U) << imported->body;
  const std::vector<std::tuple<int, std::string, std::string>> expected{
      {3, "kind", "not_one_of"},       {4, "name", "required"},          {5, "expire_seconds", "not_integer"},
      {6, "scene", "scene_reserved"}, {7, "evergreen", "not_boolean"},
  };
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [row, field, code] = expected[i];
    EXPECT_EQ(errors[i]["row"], row) << errors[i].dump();
    EXPECT_EQ(errors[i]["field"], field) << errors[i].dump();
    EXPECT_EQ(errors[i]["code"], code) << errors[i].dump();
    EXPECT_EQ(errors[i]["problems"][0]["code"], code) << errors[i].dump();
  }
  EXPECT_EQ(errors[0]["problems"][0]["params"]["allowed"], "temporary,permanent");
  // A scene another channel holds: a conflict that still names its field, for the row's words
  // ("该场景值已被其他渠道使用"), and the channel holding it.
  EXPECT_EQ(errors[5]["row"], 9);
  EXPECT_EQ(errors[5]["field"], "scene") << errors[5].dump();
  EXPECT_EQ(errors[5]["code"], "scene_taken");
  EXPECT_FALSE(errors[5]["problems"][0]["params"]["channel"].get<std::string>().empty()) << errors[5].dump();
}

}  // namespace
}  // namespace qrscene
