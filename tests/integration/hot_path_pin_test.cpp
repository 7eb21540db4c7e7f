// Behaviour of the answer path that the ingest-core rewrite must keep, pinned before it changes:
// image and news replies reach the follower (plain and encrypted); organic follows and unfollows
// land in their own columns of the account's day; an encrypted push to a plain-mode account is
// refused before any decryption is tried; a store that cannot take the event answers 503 (WeChat
// retries) and counts it; the webhook's signature equals an HMAC computed outside qrscene.
#include "service/job_runner.h"
#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

domain::Channel make_channel(app::ServiceRuntime& runtime, std::string appid, std::string name,
                             domain::ReplyChoice on_subscribe, domain::ReplyChoice on_scan) {
  service::ChannelSpec spec;
  spec.appid = std::move(appid);
  spec.name = std::move(name);
  spec.kind = domain::ChannelKind::kPermanent;
  spec.owner = "小王";
  spec.on_subscribe = std::move(on_subscribe);
  spec.on_scan = std::move(on_scan);
  auto made = runtime.channels().create(spec);
  EXPECT_TRUE(made) << made.error().to_string();
  return made ? *made : domain::Channel{};
}

domain::ReplyChoice image_reply(std::string media_id) {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kImage;
  r.media_id = std::move(media_id);
  return r;
}

domain::ReplyChoice news_reply() {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kNews;
  r.title = "{channel} 的新品";
  r.description = "来自 {owner}";
  r.url = "https://example.com/new";
  r.pic_url = "https://example.com/new.jpg";
  return r;
}

TEST_F(ServiceSimTest, ImageAndNewsRepliesReachTheFollowerPlainAndEncrypted) {
  start(config());
  for (const char* appid : {kPlainApp, kSafeApp}) {
    SCOPED_TRACE(appid);
    const auto c = make_channel(*runtime_, appid, "海报", image_reply("MEDIA_ID_1"), news_reply());
    const std::string u = user(appid);
    const auto followed = act(sim_->platform().scan(appid, u, c.ticket, true));
    ASSERT_EQ(followed.action.event, "subscribe");
    EXPECT_EQ(followed.delivery.outcome, sim::Delivery::Outcome::kReplied) << followed.delivery.problem;
    EXPECT_EQ(followed.delivery.reply_type, "image");
    EXPECT_THAT(followed.delivery.reply_xml, HasSubstr("<MediaId><![CDATA[MEDIA_ID_1]]></MediaId>"));
    const auto scanned = act(sim_->platform().scan(appid, u, c.ticket, true));
    ASSERT_EQ(scanned.action.event, "SCAN");
    EXPECT_EQ(scanned.delivery.reply_type, "news");
    EXPECT_EQ(scanned.delivery.user_sees, "[news] 海报 的新品");
    EXPECT_THAT(scanned.delivery.reply_xml, HasSubstr("<Description><![CDATA[来自 小王]]></Description>"));
    EXPECT_THAT(scanned.delivery.reply_xml, HasSubstr("<Url><![CDATA[https://example.com/new]]></Url>"));
    EXPECT_THAT(scanned.delivery.reply_xml, HasSubstr("<PicUrl><![CDATA[https://example.com/new.jpg]]></PicUrl>"));
  }
}

TEST_F(ServiceSimTest, OrganicFollowsAndUnfollowsLandInTheirOwnColumns) {
  start(config());
  // Three follow without a code, one of them leaves: 3 and 1, so swapped columns cannot pass.
  std::vector<std::string> users;
  for (int i = 0; i < 3; ++i) {
    users.push_back(user());
    const auto r = act(sim_->platform().follow(kPlainApp, users.back(), ""));
    EXPECT_EQ(r.delivery.user_sees, "感谢关注");
  }
  clock_.advance(std::chrono::seconds(30));
  act(sim_->platform().unfollow(kPlainApp, users[1]));
  const std::int64_t day = domain::local_day(kStart, runtime_->store().utc_offset_seconds());
  auto days = runtime_->store().account_days(kPlainApp, day, day);
  ASSERT_TRUE(days) << days.error().to_string();
  ASSERT_EQ(days->size(), 1U);
  EXPECT_EQ(days->at(0).organic_follows, 3);
  EXPECT_EQ(days->at(0).organic_unfollows, 1);
  EXPECT_EQ(days->at(0).totals.counters.new_follows, 0);  // no channel brought them
  EXPECT_EQ(days->at(0).totals.counters.unfollows, 0);
}

TEST_F(ServiceSimTest, AnEncryptedPushToAPlainModeAccountIsRefusedUnopened) {
  start(config());
  const std::string xml = fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
      "<EventKey><![CDATA[]]></EventKey></xml>",
      kStart);
  auto crypt = wechat::MsgCrypt::create(kToken, kKey, kPlainApp);
  ASSERT_TRUE(crypt);
  const std::string encrypt = crypt->encrypt(xml);
  const std::string ts = std::to_string(kStart);
  auto reply = post(std::string("/wechat/") + kPlainApp,
                    signed_query(kStart) + "&encrypt_type=aes&msg_signature=" +
                        wechat::compute_msg_signature(kToken, ts, "n1", encrypt),
                    "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><Encrypt><![CDATA[" + encrypt +
                        "]]></Encrypt></xml>");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400U) << reply->body;
  EXPECT_THAT(reply->body, HasSubstr("plain mode"));
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 0);
  EXPECT_EQ(runtime_->callback().counters().rejected_request, 1);
}

std::string template_finish(std::int64_t at, std::uint64_t msg_id) {
  return fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o-template]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]>"
      "</Event><MsgID>{}</MsgID><Status><![CDATA[success]]></Status></xml>",
      at, msg_id);
}

// A template send to many followers pushes one report each: answered at once, never written.
TEST_F(ServiceSimTest, KindsNothingReadsAreAnsweredAndCountedButNeverStored) {
  start(config());
  for (std::uint64_t i = 0; i < 5; ++i) {
    auto reply = post(std::string("/wechat/") + kPlainApp, signed_query(kStart), template_finish(kStart, 200 + i));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200U) << reply->body;
    EXPECT_EQ(reply->body, "success");
  }
  const std::string u = user();
  act(sim_->platform().follow(kPlainApp, u, ""));  // only followers click menus and send messages
  const auto clicked = act(sim_->platform().click(kPlainApp, u, "MENU_PRICES"));
  EXPECT_EQ(clicked.delivery.outcome, sim::Delivery::Outcome::kNothing);
  act(sim_->platform().location(kPlainApp, u, 23.1, 113.3, 50.0));
  const auto texted = act(sim_->platform().text(kPlainApp, u, "你好"));  // texts are read (login answers)
  EXPECT_EQ(texted.delivery.outcome, sim::Delivery::Outcome::kNothing);
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 2);  // the follow and the text
  const auto counters = runtime_->callback().counters();
  EXPECT_EQ(counters.accepted, 2);
  EXPECT_EQ(counters.unlogged.at("TEMPLATESENDJOBFINISH"), 5);
  EXPECT_EQ(counters.unlogged.at("CLICK"), 1);
  EXPECT_EQ(counters.unlogged.at("LOCATION"), 1);
  const auto metrics = runtime_->metrics_text();
  EXPECT_THAT(metrics, HasSubstr("qrscene_callback_unlogged_total{event=\"TEMPLATESENDJOBFINISH\"} 5"));
}

// The webhook may ask for kinds nothing else reads: those are stored and forwarded, with their key.
TEST_F(ServiceSimTest, ForwardKindsAreStoredAndSentToTheWebhook) {
  auto c = config();
  c.jobs.forward_kinds = "CLICK";
  c.jobs.profile_followers = false;
  start(c);
  const std::string u = user();
  act(sim_->platform().follow(kPlainApp, u, ""));  // organic: nothing forwarded
  act(sim_->platform().click(kPlainApp, u, "MENU_PRICES"));
  act(sim_->platform().location(kPlainApp, u, 23.1, 113.3, 50.0));
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 2);  // the follow and the click
  auto report = runtime_->run_jobs();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->done, 1);
  std::lock_guard lock(hook_mu_);
  ASSERT_EQ(hooks_.size(), 1U);
  const auto body = nlohmann::json::parse(hooks_[0].body);
  EXPECT_EQ(body["event"], "CLICK");
  EXPECT_EQ(body["key"], "MENU_PRICES");
  EXPECT_TRUE(body["channel_id"].is_null());
  EXPECT_EQ(body["openid"], u);
}

// An ingestor whose database is gone: every event fails as the store reports it.
class FailingIngestor : public domain::Ingestor {
 public:
  void submit(domain::Event /*event*/, Done done) override {
    ++calls;
    done(unexpected(ErrorCode::kUnavailable, "disk I/O error"));
  }
  int calls = 0;
};

TEST(CallbackEndpointTest, AStoreFailureIsAnswered503AndCounted) {
  FakeClock clock(kStart);
  FailingIngestor ingestor;
  wechat::PushAccount account;
  account.appid = kPlainApp;
  account.token = kToken;
  auto endpoint = service::CallbackEndpoint::create({account}, ingestor, clock);
  ASSERT_TRUE(endpoint) << endpoint.error().to_string();
  const auto response = push_to(**endpoint, "o-fail");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(ingestor.calls, 1);
  EXPECT_EQ(response->status, 503U);
  EXPECT_THAT(response->body, HasSubstr("retry"));
  EXPECT_EQ(response->body.find("success"), std::string::npos);
  EXPECT_EQ((*endpoint)->counters().store_failures, 1);
  EXPECT_EQ((*endpoint)->counters().accepted, 0);
}

// Computed outside qrscene: printf '%s' '1714010400.{"event":"subscribe","openid":"o1"}' |
// openssl dgst -sha256 -hmac 'hook-secret'
TEST(WebhookSignatureTest, MatchesAnIndependentHmacVector) {
  EXPECT_EQ(service::webhook_signature("hook-secret", 1714010400, R"({"event":"subscribe","openid":"o1"})"),
            "sha256=3b20407b3bcb5046ede3cb41550f4b4d7f4cd7f67522eb8c295ecd55cfeda2be");
}

}  // namespace
}  // namespace qrscene
