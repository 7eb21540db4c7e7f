// The service (callback endpoint, ingest, channels, jobs) against the simulator over real HTTP,
// assembled exactly as `qrscene serve` assembles it (app::ServiceRuntime): the counts equal what the
// simulator's users did; every rejection stores nothing; a retried push has one effect; the AES
// key rotates; evergreen codes renew and others expire; a retired scene is reused with its
// history kept; an unfollow removes the follower's personal data; tags and webhooks are delivered.
#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

TEST_F(ServiceSimTest, CountsEqualWhatTheSimulatorsUsersDid) {
  start(config());
  const auto a = channel("Store A");
  const auto b = channel("Store B", domain::ChannelKind::kTemporary);
  const std::vector<domain::Channel> channels{a, b};
  sim::Rng rng(42);
  std::map<std::int64_t, domain::Counters> expected;
  std::vector<std::string> users;
  for (int i = 0; i < 40; ++i) users.push_back(user());
  std::map<std::string, std::int64_t> joined_through;  // a follower's current subscription's channel
  for (int step = 0; step < 200; ++step) {
    clock_.advance(std::chrono::seconds(7));
    const std::string& u = users[rng.below(users.size())];
    const auto& c = channels[rng.below(2)];
    const bool unfollow = rng.below(10) == 0 && sim_->platform().user(kPlainApp, u)->subscribed;
    if (unfollow) {
      const auto r = act(sim_->platform().unfollow(kPlainApp, u));
      if (r.action.event == "unsubscribe") {
        ASSERT_EQ(r.delivery.outcome, sim::Delivery::Outcome::kNothing);
        if (auto it = joined_through.find(u); it != joined_through.end()) {
          ++expected[it->second].unfollows;
          joined_through.erase(it);
        }
      }
      continue;
    }
    const auto r = act(sim_->platform().scan(kPlainApp, u, c.ticket, rng.below(4) != 0));
    if (r.action.event == "subscribe") {
      ++expected[c.id].scans;
      ++expected[c.id].new_follows;
      joined_through[u] = c.id;
      EXPECT_EQ(r.delivery.user_sees, fmt::format("欢迎来自{}的朋友", c.name));
    } else if (r.action.event == "SCAN") {
      ++expected[c.id].scans;
      ++expected[c.id].existing_scans;
      EXPECT_EQ(r.delivery.user_sees, "又见面了 小王");
    }
  }
  for (const auto& c : channels) {
    const auto got = totals(c.id);
    EXPECT_EQ(got.scans, expected[c.id].scans) << c.name;
    EXPECT_EQ(got.new_follows, expected[c.id].new_follows) << c.name;
    EXPECT_EQ(got.existing_scans, expected[c.id].existing_scans) << c.name;
    EXPECT_EQ(got.unfollows, expected[c.id].unfollows) << c.name;
    EXPECT_EQ(got.first_follows + got.re_follows, got.new_follows) << c.name;
    EXPECT_GT(got.new_follows, 0) << c.name;
  }
  // Open subscriptions equal the simulator's followers who came through each channel.
  std::int64_t following = 0;
  for (const auto& u : sim_->platform().users(kPlainApp)) following += u.subscribed ? 1 : 0;
  EXPECT_EQ(*runtime_->store().open_subscriptions(kPlainApp, a.id) + *runtime_->store().open_subscriptions(kPlainApp, b.id),
            following);
  EXPECT_EQ(*runtime_->store().follower_count(kPlainApp), following);
}

TEST_F(ServiceSimTest, EachRejectionStoresNothing) {
  auto c = config();
  c.server.max_body_bytes = 4096;
  start(c);
  const std::string xml = fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
      "<EventKey><![CDATA[]]></EventKey></xml>",
      kStart);
  const std::string path = std::string("/wechat/") + kPlainApp;
  struct Case {
    const char* what;
    std::string path, query, body;
    unsigned status;
  };
  std::string wrong_to = xml;
  wrong_to.replace(wrong_to.find("gh_plain000001"), 14, "gh_other000001");
  const std::vector<Case> cases{
      {"no signature", path, fmt::format("timestamp={}&nonce=n1", kStart), xml, 401},
      {"bad signature", path, fmt::format("signature={}&timestamp={}&nonce=n1", std::string(40, 'a'), kStart), xml, 401},
      {"stale timestamp", path, signed_query(kStart - 3600), xml, 401},
      {"malformed XML", path, signed_query(kStart), "<xml><ToUserName>", 400},
      {"oversized body", path, signed_query(kStart), xml + std::string(5000, ' '), 413},
      {"wrong ToUserName", path, signed_query(kStart), wrong_to, 400},
      {"unknown account", "/wechat/wxnotconfigured0001", signed_query(kStart), xml, 404},
      {"plaintext to a safe-mode account", std::string("/wechat/") + kSafeApp, signed_query(kStart), xml, 400},
  };
  for (const auto& k : cases) {
    auto reply = post(k.path, k.query, k.body);
    ASSERT_TRUE(reply) << k.what;
    EXPECT_EQ(reply->status, k.status) << k.what << ": " << reply->body;
  }
  // An encrypted push for another AppID: the signature holds, the AppID inside does not.
  auto other = wechat::MsgCrypt::create(kToken, kNewKey, "wxsomeoneelse0001");
  ASSERT_TRUE(other);
  const std::string encrypt = other->encrypt(xml);
  const std::string ts = std::to_string(kStart);
  auto reply = post(std::string("/wechat/") + kSafeApp,
                    signed_query(kStart) + "&encrypt_type=aes&msg_signature=" +
                        wechat::compute_msg_signature(kToken, ts, "n1", encrypt),
                    "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400U) << reply->body;
  EXPECT_THAT(reply->body, HasSubstr("AppID"));
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 0);
  EXPECT_EQ(*runtime_->store().event_count(kSafeApp), 0);
  EXPECT_EQ(runtime_->callback().counters().accepted, 0);
  // The same push, signed correctly, is stored: the cases above failed for their stated reason.
  reply = post(path, signed_query(kStart), xml);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_THAT(reply->body, HasSubstr("感谢关注"));
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 1);
}

TEST_F(ServiceSimTest, UrlVerificationAnswersEchostrOnlyWhenSigned) {
  start(config());
  EXPECT_TRUE(sim_->push_engine().verify_url(*sim_->platform().account(kPlainApp)));
  wechat::HttpCall call;
  call.url = runtime_->base_url() + "/wechat/" + kPlainApp + "?signature=bad&timestamp=" + std::to_string(kStart) +
             "&nonce=n&echostr=12345";
  auto reply = transport_.send(call);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 401U);
  EXPECT_EQ(reply->body.find("12345"), std::string::npos);
}

TEST_F(ServiceSimTest, ARetriedPushHasOneEffectAndTheSameReply) {
  start(config());
  const auto a = channel("Store A");
  const std::string u = user();
  const auto first = act(sim_->platform().scan(kPlainApp, u, a.ticket, true));
  ASSERT_EQ(first.action.event, "subscribe");
  // WeChat's retry: the same XML again (its answer got lost on the way back).
  const auto again = sim_->push_engine().deliver(*sim_->platform().account(kPlainApp), u, first.action.xml);
  EXPECT_EQ(again.user_sees, first.delivery.user_sees);
  EXPECT_EQ(totals(a.id).new_follows, 1);
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 1);
  EXPECT_EQ(runtime_->callback().counters().duplicates, 1);
}

TEST_F(ServiceSimTest, ThePreviousAesKeyIsAcceptedUntilItsEnd) {
  start(config());
  const auto s = channel("Safe store", domain::ChannelKind::kPermanent, "", kSafeApp);
  // WeChat still encrypts with the previous key: accepted, and the reply sealed with it.
  auto r = act(sim_->platform().scan(kSafeApp, user(kSafeApp), s.ticket, true));
  EXPECT_EQ(r.delivery.outcome, sim::Delivery::Outcome::kReplied) << r.delivery.problem;
  EXPECT_EQ(r.delivery.user_sees, "欢迎来自Safe store的朋友");
  // After previous_key_until the old key is refused, and nothing is stored.
  clock_.advance(std::chrono::hours(2));
  r = act(sim_->platform().scan(kSafeApp, user(kSafeApp), s.ticket, true));
  EXPECT_EQ(r.delivery.user_sees, sim::kServiceUnavailable);
  EXPECT_EQ(totals(s.id).new_follows, 1);
  // WeChat switched to the new key: accepted again.
  auto account = *sim_->platform().account(kSafeApp);
  account.encoding_aes_key = kNewKey;
  sim_->add_account(account);
  r = act(sim_->platform().scan(kSafeApp, user(kSafeApp), s.ticket, true));
  EXPECT_EQ(r.delivery.outcome, sim::Delivery::Outcome::kReplied) << r.delivery.problem;
  EXPECT_EQ(totals(s.id).new_follows, 2);
}

TEST_F(ServiceSimTest, EvergreenCodesRenewAndOthersExpire) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "Ad";
  spec.kind = domain::ChannelKind::kTemporary;
  spec.expire_seconds = 2 * 86'400;
  spec.evergreen = true;
  const auto ever = *runtime_->channels().create(spec);
  spec.name = "One-off";
  spec.evergreen = false;
  const auto once = *runtime_->channels().create(spec);
  EXPECT_TRUE(runtime_->upkeep().renewed.empty());  // two days left: nothing due
  clock_.advance(std::chrono::hours(25));
  auto report = runtime_->upkeep();
  EXPECT_EQ(report.renewed, std::vector<std::int64_t>{ever.id});
  const auto renewed = *runtime_->channels().show(ever.id);
  EXPECT_NE(renewed.ticket, ever.ticket);
  EXPECT_EQ(renewed.scene, ever.scene);
  EXPECT_EQ(renewed.expires_at, clock_.unix_seconds() + 2'592'000);
  clock_.advance(std::chrono::hours(24));
  report = runtime_->upkeep();
  EXPECT_EQ(report.expired, std::vector<std::int64_t>{once.id});
  EXPECT_EQ(runtime_->channels().show(once.id)->status, domain::ChannelStatus::kExpired);
  // The renewed code works; the expired one is WeChat's "二维码已过期".
  auto r = act(sim_->platform().scan(kPlainApp, user(), renewed.ticket, true));
  EXPECT_EQ(r.action.event, "subscribe");
  EXPECT_EQ(totals(ever.id).new_follows, 1);
  r = act(sim_->platform().scan(kPlainApp, user(), once.ticket, true));
  EXPECT_TRUE(r.action.event.empty());
}

TEST_F(ServiceSimTest, ARetiredSceneIsReusedWithItsHistoryKept) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "Spring poster";
  spec.kind = domain::ChannelKind::kPermanent;
  spec.scene = "spring";
  spec.string_scene = true;
  const auto old = *runtime_->channels().create(spec);
  act(sim_->platform().scan(kPlainApp, user(), old.ticket, true));
  spec.name = "Summer poster";
  auto refused = runtime_->channels().create(spec);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  const auto before = *runtime_->channels().quota(kPlainApp);
  clock_.advance(std::chrono::hours(1));
  ASSERT_TRUE(runtime_->channels().set_status(old.id, domain::ChannelStatus::kRetired));
  const auto summer = runtime_->channels().create(spec);
  ASSERT_TRUE(summer) << summer.error().to_string();
  EXPECT_EQ(summer->ticket, old.ticket);  // WeChat answers the same permanent scene with its ticket
  EXPECT_EQ(runtime_->channels().quota(kPlainApp)->used, before.used);  // and charges no quota
  clock_.advance(std::chrono::hours(1));
  act(sim_->platform().scan(kPlainApp, user(), summer->ticket, true));
  EXPECT_EQ(totals(old.id).new_follows, 1);
  EXPECT_EQ(totals(summer->id).new_follows, 1);
  EXPECT_EQ(*runtime_->store().scene_meant(kPlainApp, "spring", kStart + 10), old.id);
  EXPECT_EQ(*runtime_->store().scene_meant(kPlainApp, "spring", clock_.unix_seconds()), summer->id);
  EXPECT_EQ(runtime_->channels().set_status(old.id, domain::ChannelStatus::kActive).error().code,
            ErrorCode::kFailedPrecondition);
}

TEST_F(ServiceSimTest, ScenesComeFromThePoolAndTheQuotaIsMetered) {
  start(config());
  const auto p1 = channel("P1");
  const auto p2 = channel("P2");
  const auto t1 = channel("T1", domain::ChannelKind::kTemporary);
  EXPECT_EQ(p1.scene, "1");
  EXPECT_EQ(p2.scene, "2");
  EXPECT_EQ(t1.scene, std::to_string(domain::kTemporarySceneMin));
  const auto q = *runtime_->channels().quota(kPlainApp);
  EXPECT_EQ(q.used, 2);
  EXPECT_EQ(q.left, domain::kPermanentQuota - 2);
  EXPECT_EQ(runtime_->channels().list(kPlainApp)->size(), 3U);
  // A bad spec reaches neither WeChat nor the store, and every problem is named.
  service::ChannelSpec bad;
  bad.appid = kPlainApp;
  bad.kind = domain::ChannelKind::kPermanent;
  bad.evergreen = true;
  bad.on_subscribe.kind = domain::ReplyChoice::Kind::kImage;
  auto refused = runtime_->channels().create(bad);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("name: required"));
  EXPECT_THAT(refused.error().message, HasSubstr("evergreen"));
  EXPECT_THAT(refused.error().message, HasSubstr("media_id"));
  EXPECT_EQ(runtime_->channels().list(kPlainApp)->size(), 3U);
}

TEST_F(ServiceSimTest, AnUnfollowRemovesTheFollowersPersonalData) {
  start(config());
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  const std::string u = user();
  act(sim_->platform().scan(kPlainApp, u, a.ticket, true));
  EXPECT_EQ(*runtime_->store().follower_count(kPlainApp), 1);
  act(sim_->platform().unfollow(kPlainApp, u));
  EXPECT_EQ(*runtime_->store().follower_count(kPlainApp), 0);
  EXPECT_EQ(totals(a.id).unfollows, 1);
  // The pending tag job named the follower: it went with them.
  const auto jobs = *runtime_->store().job_counts(kPlainApp);
  EXPECT_EQ(jobs.pending, 2);  // the two webhook forwards, which carry no subject
}

TEST_F(ServiceSimTest, JobsTagFollowersAndForwardSignedEvents) {
  start(config());
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  std::vector<std::string> followers;
  for (int i = 0; i < 60; ++i) {
    followers.push_back(user());
    act(sim_->platform().scan(kPlainApp, followers.back(), a.ticket, true));
  }
  auto report = runtime_->run_jobs();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->done, 180);       // 60 tags, 60 profiles and 60 forwards
  EXPECT_EQ(report->api_calls, 4);    // tags in batches of 50 and 10; one user-info batch; one tag list
  for (const auto& f : followers) {
    EXPECT_EQ(sim_->platform().user(kPlainApp, f)->tags, std::vector<std::int64_t>{a.wechat_tag_id});
  }
  // The profiles were read after the tagging: each follower row names the channel's tag.
  domain::FollowerQuery q;
  q.appid = kPlainApp;
  q.limit = 100;
  const auto page = runtime_->store().follower_page(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->total, 60);
  for (const auto& row : page->rows) EXPECT_EQ(row.tags, std::vector<std::string>{"门店粉丝"}) << row.openid;
  std::lock_guard lock(hook_mu_);
  ASSERT_EQ(hooks_.size(), 60U);
  for (const auto& h : hooks_) {
    EXPECT_EQ(h.signature, service::webhook_signature("hook-secret", std::stoll(h.timestamp), h.body));
    EXPECT_THAT(h.body, HasSubstr(fmt::format("\"channel_id\":{}", a.id)));
  }
}

TEST_F(ServiceSimTest, OneFollowerWhoLeftDoesNotHoldUpTheOthersTags) {
  start(config());
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  std::vector<std::string> followers;
  for (int i = 0; i < 5; ++i) {
    followers.push_back(user());
    act(sim_->platform().scan(kPlainApp, followers.back(), a.ticket, true));
  }
  // The third leaves; their unfollow push has not reached us yet, so their tag job is still there
  // and WeChat refuses any batch that names them (40003).
  ASSERT_TRUE(sim_->platform().unfollow(kPlainApp, followers[2]));
  auto report = runtime_->run_jobs();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->retried, 0);
  EXPECT_EQ(report->failed, 0);
  EXPECT_EQ(report->api_calls, 1 + 5 + 2);  // the refused batch, each alone, one user-info batch and a tag list
  for (std::size_t i = 0; i < followers.size(); ++i) {
    if (i == 2) continue;
    EXPECT_EQ(sim_->platform().user(kPlainApp, followers[i])->tags, std::vector<std::int64_t>{a.wechat_tag_id}) << i;
  }
  EXPECT_EQ(runtime_->store().job_counts(kPlainApp)->pending, 0);
}

// One openid WeChat does not know failed user/info/batchget for every follower batched with it
// (40003), and all their profile jobs were retried, again and again.
TEST_F(ServiceSimTest, OneOpenidWeChatDoesNotKnowDoesNotCostTheOthersTheirProfiles) {
  start(config());
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  std::vector<std::string> followers;
  for (int i = 0; i < 10; ++i) {
    followers.push_back(user());
    act(sim_->platform().scan(kPlainApp, followers.back(), a.ticket, true));
  }
  const std::string xml = fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o-unknown-to-wechat]]>"
      "</FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]>"
      "</Event><EventKey><![CDATA[qrscene_{}]]></EventKey></xml>",
      kStart, a.scene);
  auto pushed = post(std::string("/wechat/") + kPlainApp, signed_query(kStart), xml);
  ASSERT_TRUE(pushed);
  ASSERT_EQ(pushed->status, 200U) << pushed->body;
  auto report = runtime_->run_jobs();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->retried, 0);
  EXPECT_EQ(report->failed, 0);
  EXPECT_EQ(runtime_->store().job_counts(kPlainApp)->pending, 0);
  domain::FollowerQuery q;
  q.appid = kPlainApp;
  q.limit = 100;
  const auto page = runtime_->store().follower_page(q);
  ASSERT_TRUE(page);
  int profiled = 0;
  for (const auto& row : page->rows) {
    if (row.openid == "o-unknown-to-wechat") continue;
    EXPECT_EQ(row.tags, std::vector<std::string>{"门店粉丝"}) << row.openid;
    ++profiled;
  }
  EXPECT_EQ(profiled, 10);
}

TEST_F(ServiceSimTest, AFailingWebhookIsRetriedWithBackoff) {
  start(config());
  const auto a = channel("Store A");
  act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
  hook_status_ = 500;
  auto report = runtime_->run_jobs();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->retried, 1);
  EXPECT_EQ(runtime_->run_jobs()->retried, 0);  // not due yet
  hook_status_ = 200;
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(runtime_->run_jobs()->done, 1);
  EXPECT_EQ(runtime_->store().job_counts(kPlainApp)->done, 2);  // the webhook, and the profile at once
}

TEST_F(ServiceSimTest, CompatibleModeAcceptsBothAndAnswersInKind) {
  auto c = config();
  c.accounts[0].mode = "compatible";
  c.accounts[0].encoding_aes_key = Secret(kKey);
  start(c, sim::PushMode::kCompatible);
  const auto a = channel("Store A");
  // WeChat in compatible mode: plain XML plus <Encrypt>, encrypt_type=aes; the reply is encrypted.
  const auto r = act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
  EXPECT_EQ(r.delivery.outcome, sim::Delivery::Outcome::kReplied) << r.delivery.problem;
  EXPECT_EQ(r.delivery.user_sees, "欢迎来自Store A的朋友");
  // A plaintext push to the same account is accepted too, and answered in plaintext.
  const std::string xml = fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o-plain]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
      "<EventKey><![CDATA[qrscene_{}]]></EventKey></xml>",
      kStart, a.scene);
  auto reply = post(std::string("/wechat/") + kPlainApp, signed_query(kStart), xml);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200U);
  EXPECT_THAT(reply->body, HasSubstr("<Content><![CDATA[欢迎来自Store A的朋友]]></Content>"));
  EXPECT_EQ(totals(a.id).new_follows, 2);
}

TEST_F(ServiceSimTest, TheAdminApiWantsAConfiguredToken) {
  start(config());
  auto none = api("GET", "/api/v1/accounts", "", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401U);
  EXPECT_THAT(none->body, HasSubstr("Bearer"));
  bool challenged = false;
  for (const auto& [k, v] : none->headers) challenged = challenged || (k == "WWW-Authenticate" || k == "www-authenticate");
  EXPECT_TRUE(challenged);
  EXPECT_EQ(api("GET", "/api/v1/accounts", "", "not-the-token")->status, 401U);
  EXPECT_EQ(api("GET", "/api/v1/accounts")->status, 200U);
  // Failures from one address are limited: the tenth in a minute closes the door, even to the right token.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(api("GET", "/api/v1/channels", "", "guess")->status, 401U);
  EXPECT_EQ(api("GET", "/api/v1/accounts", "", "guess")->status, 429U);
  EXPECT_EQ(api("GET", "/api/v1/accounts")->status, 429U);
}

// Behind nginx every client had one address, so ten wrong tokens from anyone locked the dashboard,
// the CLI and the login exchange out for everyone.
TEST_F(ServiceSimTest, WrongTokensLockOutOnlyTheClientThatSentThem) {
  auto c = config();
  c.server.trusted_proxies = "127.0.0.1, ::1";
  start(c);
  auto as = [&](const std::string& client, const std::string& token) {
    wechat::HttpCall call;
    call.method = "GET";
    call.url = runtime_->base_url() + "/api/v1/accounts";
    call.headers.emplace_back("Authorization", "Bearer " + token);
    if (!client.empty()) call.headers.emplace_back("X-Forwarded-For", client);
    auto r = transport_.send(call);
    return r ? r->status : 0U;
  };
  for (int i = 0; i < 10; ++i) EXPECT_EQ(as("203.0.113.66", "guess"), 401U);
  EXPECT_EQ(as("203.0.113.66", "guess"), 429U);
  EXPECT_EQ(as("203.0.113.66", kAdminToken), 429U);  // the guesser's own address stays shut
  EXPECT_EQ(as("198.51.100.5", kAdminToken), 200U);  // the operator, through the same proxy
  EXPECT_EQ(as("", kAdminToken), 200U);              // the CLI on this machine
  // A forged hop in front of the real one changes nothing: nginx appends the address it saw.
  EXPECT_EQ(as("198.51.100.5, 203.0.113.66", kAdminToken), 429U);
}

// Two channels at INT64_MAX spend made the account's overview answer 400 with SQL in it.
TEST_F(ServiceSimTest, MoneyHasADocumentedMaximumAndSumsNeverOverflow) {
  start(config());
  auto a = channel("Poster A");
  auto b = channel("Poster B");
  auto too_much = api("PATCH", fmt::format("/api/v1/channels/{}", a.id),
                      fmt::format(R"({{"spend_cents":{}}})", std::numeric_limits<std::int64_t>::max()));
  ASSERT_TRUE(too_much);
  EXPECT_EQ(too_much->status, 400U);
  EXPECT_THAT(too_much->body, HasSubstr("spend_cents: must be 0..1000000000000"));
  auto made = api("POST", "/api/v1/channels",
                  fmt::format(R"({{"appid":"{}","name":"x","kind":"permanent","spend_cents":1000000000001}})", kPlainApp));
  EXPECT_EQ(made->status, 400U);
  EXPECT_EQ(api("PATCH", fmt::format("/api/v1/channels/{}", a.id), R"({"spend_cents":1000000000000})")->status, 200U);
  // Rows from before the limit (or edited by hand): the sums take each at the maximum.
  for (auto* c : {&a, &b}) {
    auto row = *runtime_->store().channel(c->id);
    row.spend_cents = std::numeric_limits<std::int64_t>::max();
    ASSERT_TRUE(runtime_->store().update_channel(row));
  }
  auto overview = api("GET", fmt::format("/api/v1/stats?appid={}", kPlainApp));
  ASSERT_TRUE(overview);
  ASSERT_EQ(overview->status, 200U) << overview->body;
  EXPECT_EQ(nlohmann::json::parse(overview->body)["costs"]["spend_cents"], 2'000'000'000'000);
  for (const char* by : {"channel", "group", "owner"}) {
    auto rows = api("GET", fmt::format("/api/v1/stats/breakdown?appid={}&by={}", kPlainApp, by));
    ASSERT_TRUE(rows);
    EXPECT_EQ(rows->status, 200U) << by << ": " << rows->body;
  }
  auto value = api("POST", "/api/v1/conversions",
                   fmt::format(R"({{"appid":"{}","external_id":"e1","openid":"o1","kind":"order","value_cents":{},)"
                               R"("occurred_at":{}}})",
                               kPlainApp, std::numeric_limits<std::int64_t>::max(), kStart));
  ASSERT_TRUE(value);
  EXPECT_EQ(value->status, 400U);
  EXPECT_THAT(value->body, HasSubstr("value_cents: at most"));
}

TEST_F(ServiceSimTest, ChannelsAreMadeEditedAndDrawnThroughTheApi) {
  start(config());
  const std::string base = std::string("/api/v1/channels?appid=") + kPlainApp;
  // Validation names every bad field and stores nothing.
  auto bad = api("POST", "/api/v1/channels",
                 fmt::format(R"({{"appid":"{}","kind":"forever","scene":[1],"colour":"red"}})", kPlainApp));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  const auto fields = nlohmann::json::parse(bad->body)["error"]["fields"];
  for (const char* f : {"colour", "kind", "scene"}) {
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f << " in " << bad->body;
  }
  EXPECT_TRUE(api_json("GET", base).empty());
  EXPECT_EQ(api("POST", "/api/v1/channels", "{not json")->status, 400U);

  const auto made = api_json("POST", "/api/v1/channels",
                             fmt::format(R"({{"appid":"{}","name":"地铁海报","group":"线下","owner":"小李",
                                         "kind":"permanent","on_subscribe":"欢迎 {{channel}}","spend_cents":5000}})",
                                         kPlainApp),
                             201);
  const std::int64_t id = made["id"];
  EXPECT_EQ(made["kind"], "permanent");
  EXPECT_EQ(made["on_subscribe"]["text"], "欢迎 {channel}");
  const std::string ticket = made["ticket"];
  // The QR image decodes to the channel's url; the SVG is an SVG.
  auto png = api("GET", fmt::format("/api/v1/channels/{}/qr.png?size=300&dark=%231a7f37", id));
  ASSERT_TRUE(png);
  ASSERT_EQ(png->status, 200U) << png->body;
  EXPECT_EQ(png->content_type, "image/png");
  auto decoded = qr::scan(*qr::decode_image(png->body));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->at(0), made["url"].get<std::string>());
  auto svg = api("GET", fmt::format("/api/v1/channels/{}/qr.svg", id));
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_THAT(svg->body, HasSubstr("<svg"));
  EXPECT_EQ(api("GET", fmt::format("/api/v1/channels/{}/qr.png?size=5", id))->status, 400U);

  auto r = act(sim_->platform().scan(kPlainApp, user(), ticket, true));
  EXPECT_EQ(r.delivery.user_sees, "欢迎 地铁海报");
  // An edit takes effect on the next push.
  api_json("PATCH", fmt::format("/api/v1/channels/{}", id), R"({"on_subscribe":{"kind":"text","text":"新的欢迎语"}})");
  r = act(sim_->platform().scan(kPlainApp, user(), ticket, true));
  EXPECT_EQ(r.delivery.user_sees, "新的欢迎语");
  EXPECT_EQ(api("PATCH", fmt::format("/api/v1/channels/{}", id), R"({"spend_cents":"lots"})")->status, 400U);
  // Paused: still counted, not answered.
  EXPECT_EQ(api_json("POST", fmt::format("/api/v1/channels/{}/pause", id))["status"], "paused");
  r = act(sim_->platform().scan(kPlainApp, user(), ticket, true));
  EXPECT_EQ(r.delivery.outcome, sim::Delivery::Outcome::kNothing);
  EXPECT_EQ(api_json("POST", fmt::format("/api/v1/channels/{}/resume", id))["status"], "active");
  const auto list = api_json("GET", base);
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0]["totals"]["new_follows"], 3);
  EXPECT_EQ(api_json("GET", base + "&group=%E7%BA%BF%E4%B8%8B").size(), 1U);  // 线下
  EXPECT_EQ(api_json("GET", base + "&status=paused").size(), 0U);
  EXPECT_EQ(api("GET", "/api/v1/channels/999")->status, 404U);
  EXPECT_EQ(api_json("GET", std::string("/api/v1/quota?appid=") + kPlainApp)["used"], 1);

  // A CSV import keeps the good rows and reports each bad one by its line.
  const std::string csv =
      "name,group,owner,kind,scene,reply_subscribe\n"
      "门店A,门店,小王,temporary,,欢迎来到门店A\n"
      ",门店,小王,temporary,,\n"
      "\"门店, B\",门店,小张,permanent,store-b,\n"
      "门店C,门店,小张,weekly,,\n";
  auto imported = api("POST", std::string("/api/v1/channels/import?appid=") + kPlainApp, csv, kAdminToken, "text/csv");
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->status, 207U) << imported->body;
  const auto result = nlohmann::json::parse(imported->body);
  ASSERT_EQ(result["created"].size(), 2U);
  EXPECT_EQ(result["created"][1]["name"], "门店, B");
  EXPECT_EQ(result["created"][1]["scene"], "store-b");
  ASSERT_EQ(result["errors"].size(), 2U);
  EXPECT_EQ(result["errors"][0]["row"], 3);
  EXPECT_THAT(result["errors"][0]["message"].get<std::string>(), HasSubstr("name"));
  EXPECT_EQ(result["errors"][0]["line"], 3);
  EXPECT_EQ(result["errors"][1]["row"], 5);
  EXPECT_THAT(result["errors"][1]["message"].get<std::string>(), HasSubstr("kind"));
  EXPECT_EQ(api_json("GET", base).size(), 3U);
  // An unclosed quote costs its own row; the rows after it are read, and errors name lines.
  const std::string quoted = "name,group,owner,kind\n\"门店D,门店,小王,temporary\n门店E,门店,小王,weekly\n,门店,小张,temporary\n";
  auto again = api("POST", std::string("/api/v1/channels/import?appid=") + kPlainApp, quoted, kAdminToken, "text/csv");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 207U) << again->body;
  const auto read = nlohmann::json::parse(again->body);
  ASSERT_EQ(read["errors"].size(), 3U) << again->body;  // the quote, then a row with a bad kind, one without a name
  EXPECT_EQ(read["errors"][0]["line"], 2);
  EXPECT_THAT(read["errors"][0]["message"].get<std::string>(), HasSubstr("line 2: a quote opened on this line"));
  EXPECT_EQ(read["errors"][1]["line"], 3);
  EXPECT_EQ(read["errors"][2]["line"], 4);
  EXPECT_EQ(api_json("GET", base).size(), 3U);
  EXPECT_EQ(api_json("POST", fmt::format("/api/v1/channels/{}/retire", id))["status"], "retired");
  EXPECT_EQ(api("PATCH", fmt::format("/api/v1/channels/{}", id), R"({"name":"x"})")->status, 409U);
}

TEST_F(ServiceSimTest, StatsThroughTheApiEqualWhatTheUsersDid) {
  start(config());
  const auto a = channel("Poster A");
  const auto b = channel("Poster B");
  // Owners: A is 小王's (the fixture's), B is given to 小李.
  api_json("PATCH", fmt::format("/api/v1/channels/{}", b.id), R"({"owner":"小李","spend_cents":3000})");
  sim::Rng rng(7);
  std::int64_t follows_a = 0, follows_b = 0, scans_a = 0, quick_a = 0;
  std::set<std::string> scanners_a;
  std::vector<std::string> followers_a;
  std::map<std::string, std::int64_t> followed_at;
  for (int i = 0; i < 30; ++i) {
    clock_.advance(std::chrono::seconds(97));
    const std::string u = user();
    const bool to_a = rng.below(3) != 0;
    const auto r = act(sim_->platform().scan(kPlainApp, u, (to_a ? a : b).ticket, true));
    ASSERT_EQ(r.action.event, "subscribe");
    (to_a ? follows_a : follows_b) += 1;
    if (to_a) {
      ++scans_a;
      scanners_a.insert(u);
      followers_a.push_back(u);
      followed_at[u] = clock_.unix_seconds();
    }
  }
  // A's last two followers leave now; those who followed under 5 minutes ago count as quick unfollows.
  for (std::size_t i = followers_a.size() - 2; i < followers_a.size(); ++i) {
    act(sim_->platform().unfollow(kPlainApp, followers_a[i]));
    if (clock_.unix_seconds() - followed_at[followers_a[i]] < 300) ++quick_a;
  }
  const std::string day = "2024-04-25";
  const auto stats = api_json("GET", fmt::format("/api/v1/stats?appid={}&channel={}&from={}&to={}", kPlainApp, a.id,
                                                 day, day));
  EXPECT_EQ(stats["totals"]["new_follows"], follows_a);
  EXPECT_EQ(stats["totals"]["scans"], scans_a);
  EXPECT_EQ(stats["totals"]["unfollows"], 2);
  EXPECT_EQ(stats["totals"]["net"], follows_a - 2);
  EXPECT_EQ(stats["unique_scanners"], static_cast<std::int64_t>(scanners_a.size()));
  EXPECT_EQ(stats["fraud"]["quick_unfollows"], quick_a);
  EXPECT_TRUE(stats["retention"]["d1"].is_null());  // the cohort is not a day old yet
  ASSERT_EQ(stats["series"].size(), 1U);
  EXPECT_EQ(stats["series"][0]["label"], day);

  // Two days on, the day's cohort has a 1-day retention: those still following.
  clock_.advance(std::chrono::hours(48));
  const auto later = api_json("GET", fmt::format("/api/v1/stats?appid={}&channel={}&from={}&to={}", kPlainApp, a.id,
                                                 day, day));
  EXPECT_DOUBLE_EQ(later["retention"]["d1"].get<double>(),
                   static_cast<double>(follows_a - 2) / static_cast<double>(follows_a));
  EXPECT_DOUBLE_EQ(later["early_unfollow_rate"].get<double>(), 2.0 / static_cast<double>(follows_a));

  // The owners' leaderboard, the whole account, and B's cost per follower.
  const auto owners = api_json("GET", fmt::format("/api/v1/stats/breakdown?appid={}&by=owner&from={}&to={}",
                                                  kPlainApp, day, day));
  ASSERT_EQ(owners.size(), 2U);
  std::map<std::string, std::int64_t> net;
  for (const auto& o : owners) net[o["key"]] = o["net"];
  EXPECT_EQ(net["小王"], follows_a - 2);
  EXPECT_EQ(net["小李"], follows_b);
  const auto account = api_json("GET", fmt::format("/api/v1/stats?appid={}&from={}&to={}&granularity=week",
                                                   kPlainApp, day, day));
  EXPECT_EQ(account["totals"]["new_follows"], follows_a + follows_b);
  EXPECT_EQ(account["series"][0]["label"], "2024-W17");
  const auto costs_b = api_json("GET", fmt::format("/api/v1/stats?appid={}&channel={}&from={}&to={}", kPlainApp,
                                                   b.id, day, day))["costs"];
  EXPECT_DOUBLE_EQ(costs_b["per_new_follow_cents"].get<double>(), 3000.0 / static_cast<double>(follows_b));
  auto hourly = api_json("GET", fmt::format("/api/v1/stats?appid={}&from={}&to={}&granularity=hour", kPlainApp, day,
                                            day));
  std::int64_t hourly_follows = 0;
  for (const auto& p : hourly["series"]) hourly_follows += p["new_follows"].get<std::int64_t>();
  EXPECT_EQ(hourly["series"].size(), 24U);
  EXPECT_EQ(hourly_follows, follows_a + follows_b);
  auto bad = api("GET", fmt::format("/api/v1/stats?appid={}&from=2024-13-01", kPlainApp));
  EXPECT_EQ(bad->status, 400U);
  EXPECT_THAT(bad->body, HasSubstr("from"));

  // The export has a row per channel with the same figures.
  auto csv = api("GET", fmt::format("/api/v1/export?appid={}&from={}&to={}", kPlainApp, day, day));
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->content_type, "text/csv; charset=utf-8");
  EXPECT_THAT(csv->body, HasSubstr(fmt::format("Poster A,{},1,{},{},", a.id, scans_a, follows_a)));

  // WeChat's datacube (source 30, scanned a QR code) agrees with our count of the day.
  const auto rec = api_json("GET", fmt::format("/api/v1/stats/reconciliation?appid={}&from={}&to={}", kPlainApp,
                                               day, day));
  ASSERT_EQ(rec.size(), 1U);
  EXPECT_EQ(rec[0]["ours_follows"], follows_a + follows_b);
  EXPECT_EQ(rec[0]["wechat_follows"], follows_a + follows_b);
  EXPECT_EQ(rec[0]["follows_difference"], 0);
}

// GET /api/v1/accounts: where WeChat must push, and when it last pushed and verified the URL.
TEST_F(ServiceSimTest, AccountsShowTheirCallbackPathLastPushAndLastVerification) {
  start(config());
  const auto account = [&](const char* appid) {
    for (const auto& a : api_json("GET", "/api/v1/accounts")) {
      if (a["appid"] == appid) return a;
    }
    ADD_FAILURE() << appid << " is not listed";
    return nlohmann::json();
  };
  auto plain = account(kPlainApp);
  EXPECT_EQ(plain["callback_path"], fmt::format("/wechat/{}", kPlainApp));
  EXPECT_TRUE(plain["last_push_at"].is_null()) << plain.dump();
  EXPECT_TRUE(plain["last_verified_at"].is_null()) << plain.dump();

  // WeChat checks the URL when it is saved in its console.
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(sim_->push_engine().verify_url(*sim_->platform().account(kPlainApp)));
  plain = account(kPlainApp);
  EXPECT_EQ(plain["last_verified_at"], kStart + 30);
  EXPECT_TRUE(plain["last_push_at"].is_null());
  // A verification that fails its signature changes nothing.
  clock_.advance(std::chrono::seconds(30));
  wechat::HttpCall forged;
  forged.url = runtime_->base_url() + "/wechat/" + kPlainApp + "?signature=bad&timestamp=" +
               std::to_string(clock_.unix_seconds()) + "&nonce=n&echostr=1";
  EXPECT_EQ(transport_.send(forged)->status, 401U);
  EXPECT_EQ(account(kPlainApp)["last_verified_at"], kStart + 30);

  // A push: its time; the other account saw none.
  const auto c = channel("Poster");
  clock_.advance(std::chrono::seconds(60));
  act(sim_->platform().scan(kPlainApp, user(), c.ticket, true));
  plain = account(kPlainApp);
  EXPECT_EQ(plain["last_push_at"], kStart + 120);
  EXPECT_EQ(plain["last_verified_at"], kStart + 30);
  EXPECT_TRUE(account(kSafeApp)["last_push_at"].is_null());
  // A push of a kind never stored proves the URL works all the same.
  clock_.advance(std::chrono::seconds(60));
  act(sim_->platform().location(kPlainApp, sim_->platform().users(kPlainApp).front().openid, 31.2, 121.5, 30));
  EXPECT_EQ(account(kPlainApp)["last_push_at"], kStart + 180);
  const std::int64_t last_stored = kStart + 120;

  // After a restart the log still tells the last push it stored; a verification is forgotten.
  runtime_.reset();
  clock_.advance(std::chrono::seconds(600));
  auto again = app::ServiceRuntime::start(config(), clock_, transport_, /*background=*/false);
  ASSERT_TRUE(again) << again.error().to_string();
  const auto seen = (*again)->callback().activity(kPlainApp);
  ASSERT_TRUE(seen.last_push_at.has_value());
  EXPECT_EQ(*seen.last_push_at, last_stored);
  EXPECT_FALSE(seen.last_verified_at.has_value());
  EXPECT_FALSE((*again)->callback().activity(kSafeApp).last_push_at.has_value());
}

// followers_before: the net follows credited before the range's first day, in the request's scope,
// so that followers_before + the running sum of net draws the followers over time.
TEST_F(ServiceSimTest, FollowersBeforeARangeAreTheNetOfTheDaysBeforeIt) {
  start(config());
  const auto a = channel("Poster A");
  const auto b = channel("Poster B");
  // 2024-04-25: five follow through A (one leaves), three through B, two with no channel (one leaves).
  std::vector<std::string> through_a, organic;
  for (int i = 0; i < 5; ++i) {
    clock_.advance(std::chrono::seconds(61));
    through_a.push_back(user());
    act(sim_->platform().scan(kPlainApp, through_a.back(), a.ticket, true));
  }
  for (int i = 0; i < 3; ++i) {
    clock_.advance(std::chrono::seconds(61));
    act(sim_->platform().scan(kPlainApp, user(), b.ticket, true));
  }
  for (int i = 0; i < 2; ++i) {
    clock_.advance(std::chrono::seconds(61));
    organic.push_back(user());
    act(sim_->platform().follow(kPlainApp, organic.back(), ""));
  }
  act(sim_->platform().unfollow(kPlainApp, through_a.front()));
  act(sim_->platform().unfollow(kPlainApp, organic.front()));
  // Two days on (2024-04-27): two more through A, and one of A's earlier followers leaves.
  clock_.advance(std::chrono::hours(48));
  for (int i = 0; i < 2; ++i) {
    clock_.advance(std::chrono::seconds(61));
    act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
  }
  act(sim_->platform().unfollow(kPlainApp, through_a[1]));

  const auto stats = [&](const std::string& scope, const char* from, const char* to) {
    return api_json("GET", fmt::format("/api/v1/stats?appid={}{}&from={}&to={}", kPlainApp, scope, from, to));
  };
  const std::string only_a = fmt::format("&channel={}", a.id);
  const auto first_a = stats(only_a, "2024-04-20", "2024-04-25");
  EXPECT_EQ(first_a["followers_before"], 0);
  EXPECT_EQ(first_a["totals"]["net"], 4);
  const auto later_a = stats(only_a, "2024-04-26", "2024-04-27");
  EXPECT_EQ(later_a["followers_before"], first_a["totals"]["net"]);
  EXPECT_EQ(later_a["totals"]["net"], 1);
  // The running sum ends at the followers the channel has now.
  std::int64_t running = later_a["followers_before"];
  for (const auto& p : later_a["series"]) running += p["net"].get<std::int64_t>();
  EXPECT_EQ(running, *runtime_->store().open_subscriptions(kPlainApp, a.id));

  // The whole account: its channels', as its totals are; the organic ones beside them.
  const auto first = stats("", "2024-04-25", "2024-04-25");
  const auto later = stats("", "2024-04-26", "2024-04-30");
  EXPECT_EQ(first["totals"]["net"], 4 + 3);
  EXPECT_EQ(later["followers_before"], first["totals"]["net"]);
  EXPECT_EQ(later["organic"]["followers_before"], 1);
  EXPECT_EQ(first["organic"]["followers_before"], 0);
  // A range that starts mid-way counts only the days before it: hourly series too.
  const auto hours = stats(only_a + "&granularity=hour", "2024-04-27", "2024-04-27");
  EXPECT_EQ(hours["followers_before"], 4);
  // A group of channels: A's and B's (the fixture puts both under no group; B moves to one).
  api_json("PATCH", fmt::format("/api/v1/channels/{}", b.id), R"({"group":"地铁"})");
  const auto group = stats("&group=%E5%9C%B0%E9%93%81", "2024-04-26", "2024-04-27");  // 地铁
  EXPECT_EQ(group["followers_before"], 3);
}

// An ingestor that answers from its own thread, and lets go of the callback a little after
// calling it, as the store's writer may (it releases a batch's callbacks after the last one ran).
class LateIngestor final : public domain::Ingestor {
 public:
  ~LateIngestor() override {
    for (auto& t : threads_) t.join();
  }
  void submit(domain::Event /*event*/, Done done) override {
    ++held_;
    threads_.emplace_back([this, done = std::move(done)]() mutable {
      domain::IngestOutcome outcome;
      outcome.event_id = 1;
      done(outcome);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      --held_;
      done = nullptr;
    });
  }
  [[nodiscard]] int held() const { return held_.load(); }

 private:
  std::atomic<int> held_{0};
  std::vector<std::thread> threads_;
};

// Caught by ASan in CI (heap-use-after-free in ~strand_impl): the store's thread still held the
// callback, and through it the connection's strand, after the io_context had finished and been
// destroyed. The io_context must keep running until the store has let go of every callback.
TEST(CallbackEndpointTest, AWaitForTheCommitKeepsTheIoContextRunning) {
  FakeClock clock(kStart);
  LateIngestor ingestor;
  wechat::PushAccount account;
  account.appid = kPlainApp;
  account.token = kToken;
  auto endpoint = service::CallbackEndpoint::create({account}, ingestor, clock);
  ASSERT_TRUE(endpoint) << endpoint.error().to_string();
  const auto response = push_to(**endpoint, "o-late");  // runs the io_context until nothing is left
  ASSERT_TRUE(response.has_value()) << "io_context::run() returned while the commit was pending";
  EXPECT_EQ(ingestor.held(), 0) << "io_context::run() returned while the store still held the callback";
  EXPECT_EQ(response->status, 200U);
  EXPECT_EQ(response->body, "success");
}

}  // namespace
}  // namespace qrscene
