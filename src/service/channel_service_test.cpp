#include "service/channel_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/fake_channel_repository.h"
#include "support/scripted_transport.h"
#include "wechat/token_provider.h"

namespace qrscene::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using domain::ChannelKind;
using domain::ChannelStatus;

// The jobs the service queues (channel notices), kept in order; nothing runs them.
class NoticeQueue final : public domain::JobQueue {
 public:
  Result<std::vector<domain::Job>> claim_jobs(std::int64_t, std::size_t, std::int64_t) override { return jobs; }
  Status finish_job(std::int64_t) override { return {}; }
  Status retry_job(std::int64_t, std::string_view, std::optional<std::int64_t>) override { return {}; }
  Result<domain::JobCounts> job_counts(std::string_view) override { return domain::JobCounts{}; }
  Status enqueue_job(std::string_view appid, const domain::JobPayload& payload, std::int64_t) override {
    jobs.push_back(domain::Job{static_cast<std::int64_t>(jobs.size() + 1), std::string(appid), payload, 0});
    return {};
  }
  // The notices queued, as "notice:channel_id".
  std::vector<std::string> notices() const {
    std::vector<std::string> out;
    for (const auto& j : jobs) {
      const auto& n = std::get<domain::ChannelNoticeJob>(j.payload);
      out.push_back(n.notice + ":" + std::to_string(n.channel_id));
    }
    return out;
  }
  std::vector<domain::Job> jobs;
};

// ChannelService over fake ports: the channels in memory, WeChat scripted. Each test runs in
// milliseconds and says what the service asks of WeChat and of the store, and in which order.
class ChannelServiceTest : public ::testing::Test {
 protected:
  ChannelServiceTest() {
    EXPECT_TRUE(clients_.add({"wx1", Secret("secret"), wechat::TokenMode::kStable}));
    transport_.script([this](const wechat::HttpCall& call) { return wechat_answer(call); });
  }
  static wechat::ApiClientOptions client_options() {
    wechat::ApiClientOptions o;
    o.api_base = "http://wechat.test";
    o.mp_base = "http://wechat.test";
    o.sleep = [](std::chrono::milliseconds) {};
    return o;
  }

  // WeChat as far as channels need it: tokens, tickets (numbered), tags.
  Result<wechat::HttpReply> wechat_answer(const wechat::HttpCall& call) {
    using nlohmann::json;
    if (call.url.find("stable_token") != std::string::npos) {
      return testing::json_reply(R"({"access_token":"T","expires_in":7200})");
    }
    if (call.url.find("qrcode/create") != std::string::npos) {
      if (qr_errcode_ != 0) return testing::json_reply(json{{"errcode", qr_errcode_}, {"errmsg", "refused"}}.dump());
      const json body = json::parse(call.body);
      const int n = ++tickets_;
      json answer{{"ticket", "TICKET" + std::to_string(n)}, {"url", "http://weixin.qq.com/q/" + std::to_string(n)}};
      if (body.contains("expire_seconds")) answer["expire_seconds"] = body["expire_seconds"];
      return testing::json_reply(answer.dump());
    }
    if (call.url.find("tags/get") != std::string::npos) {
      return testing::json_reply(R"({"tags":[{"id":2,"name":"星标组","count":0},{"id":101,"name":"地推","count":3}]})");
    }
    if (call.url.find("tags/create") != std::string::npos) return testing::json_reply(R"({"tag":{"id":102,"name":"新"}})");
    return testing::json_reply(R"({"errcode":40001,"errmsg":"unexpected call"})");
  }

  static ChannelSpec spec(std::string name, ChannelKind kind = ChannelKind::kTemporary) {
    ChannelSpec s;
    s.appid = "wx1";
    s.name = std::move(name);
    s.kind = kind;
    return s;
  }
  std::size_t qr_calls() const { return transport_.calls_to("qrcode/create").size(); }

  FakeClock clock_{1'764'547'200};
  testing::ScriptedTransport transport_;
  wechat::MemoryTokenStore tokens_;
  wechat::AccountClients clients_{transport_, tokens_, clock_, client_options()};
  testing::FakeChannelRepository repo_{clock_};
  NoticeQueue notices_;
  ChannelService service_{repo_, clients_, clock_, {}, &notices_};
  int qr_errcode_ = 0;
  int tickets_ = 0;
};

TEST_F(ChannelServiceTest, TemporaryScenesAreAllocatedAboveTheHighestEverUsedAndNeverHandedOutAgain) {
  auto first = service_.create(spec("地推 A"));
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->scene, std::to_string(domain::kTemporarySceneMin));
  EXPECT_TRUE(first->scene_is_int);
  EXPECT_EQ(first->ticket, "TICKET1");
  EXPECT_EQ(first->expires_at, clock_.unix_seconds() + 2'592'000);
  ASSERT_TRUE(service_.set_status(first->id, ChannelStatus::kRetired));
  auto second = service_.create(spec("地推 B"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->scene, std::to_string(domain::kTemporarySceneMin + 1));
  auto permanent = service_.create(spec("海报", ChannelKind::kPermanent));
  ASSERT_TRUE(permanent);
  EXPECT_EQ(permanent->scene, "1");
  EXPECT_EQ(permanent->expires_at, 0);
}

TEST_F(ChannelServiceTest, WhenWeChatRefusesNothingIsStored) {
  qr_errcode_ = 45009;
  auto made = service_.create(spec("门店"));
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().detail, 45009);
  EXPECT_TRUE(repo_.channels("wx1")->empty());
}

TEST_F(ChannelServiceTest, AHeldSceneIsRefusedBeforeWeChatIsAsked) {
  ChannelSpec a = spec("A");
  a.scene = "spring-poster";
  a.string_scene = true;
  ASSERT_TRUE(service_.create(a));
  ChannelSpec b = spec("B");
  b.scene = "spring-poster";
  b.string_scene = true;
  auto refused = service_.create(b);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_THAT(refused.error().message, HasSubstr("belongs to channel 1 (A)"));
  // The field and a code a client can word: "该场景值已被其他渠道使用".
  ASSERT_EQ(refused.error().fields.size(), 1u);
  EXPECT_EQ(refused.error().fields[0].field, "scene");
  EXPECT_EQ(refused.error().fields[0].code, "scene_taken");
  EXPECT_EQ(refused.error().fields[0].params.at("channel"), "A");
  EXPECT_EQ(qr_calls(), 1u);
}

TEST_F(ChannelServiceTest, ANameOfSpacesOnlyIsNoName) {
  auto refused = service_.create(spec("   "));
  ASSERT_FALSE(refused);
  ASSERT_FALSE(refused.error().fields.empty());
  EXPECT_EQ(refused.error().fields[0].field, "name");
  EXPECT_EQ(refused.error().fields[0].code, "required");
  auto made = service_.create(spec("A"));
  ASSERT_TRUE(made);
  ChannelEdit blank;
  blank.name = " \t ";
  auto kept = service_.update(made->id, blank);
  ASSERT_FALSE(kept);
  EXPECT_EQ(kept.error().fields[0].code, "required");
  EXPECT_EQ(repo_.channel(made->id)->name, "A");
  EXPECT_EQ(qr_calls(), 1u);
}

TEST_F(ChannelServiceTest, ANewPermanentChannelReusesARetiredSceneBeforeSpendingQuota) {
  ChannelSpec poster = spec("poster", ChannelKind::kPermanent);
  poster.scene = "7";
  auto made = service_.create(poster);
  ASSERT_TRUE(made);
  ASSERT_TRUE(service_.set_status(made->id, ChannelStatus::kRetired));
  ASSERT_TRUE(service_.set_external_codes("wx1", domain::kPermanentQuota - 1));  // with scene 7: spent
  EXPECT_EQ(service_.quota("wx1")->left, 0);
  auto reused = service_.create(spec("new", ChannelKind::kPermanent));  // no scene given: 7 again, free
  ASSERT_TRUE(reused) << reused.error().to_string();
  EXPECT_EQ(reused->scene, "7");
  auto refused = service_.create(spec("another", ChannelKind::kPermanent));  // 7 is live now
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(qr_calls(), 2u);  // refused before WeChat was asked
}

TEST_F(ChannelServiceTest, WeChatsQuotaRefusalIsRememberedAndCodesMadeElsewhereCount) {
  ChannelSpec seven = spec("seven", ChannelKind::kPermanent);
  seven.scene = "7";
  auto retired = service_.create(seven);
  ASSERT_TRUE(retired);
  ASSERT_TRUE(service_.set_status(retired->id, ChannelStatus::kRetired));
  auto external = service_.set_external_codes("wx1", 40);
  ASSERT_TRUE(external);
  EXPECT_EQ(external->used, 41);
  EXPECT_EQ(external->left, domain::kPermanentQuota - 41);
  EXPECT_FALSE(service_.set_external_codes("wx1", -1));
  qr_errcode_ = 45029;  // WeChat counts codes qrscene never heard of
  ChannelSpec over = spec("over", ChannelKind::kPermanent);
  over.scene = "50";
  auto refused = service_.create(over);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(refused.error().detail, 45029);
  const auto meter = service_.quota("wx1");
  EXPECT_EQ(meter->refused_at, clock_.unix_seconds());
  EXPECT_EQ(meter->left, 0);
  EXPECT_EQ(meter->used, 41);
  qr_errcode_ = 0;
  auto reused = service_.create(spec("reused", ChannelKind::kPermanent));  // scene 7: no quota spent
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->scene, "7");
  EXPECT_EQ(service_.quota("wx1")->refused_at, clock_.unix_seconds());  // so it says nothing of the quota
  ChannelSpec fresh = spec("after all", ChannelKind::kPermanent);
  fresh.scene = "60";
  ASSERT_TRUE(service_.create(fresh));
  EXPECT_EQ(service_.quota("wx1")->refused_at, 0);
}

TEST_F(ChannelServiceTest, EveryBadFieldOfASpecIsNamedAtOnce) {
  ChannelSpec bad = spec("");
  bad.group = std::string(201, 'g');
  bad.expire_seconds = 10;
  bad.spend_cents = -1;
  bad.on_subscribe.kind = domain::ReplyChoice::Kind::kNews;
  auto refused = service_.create(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  std::vector<std::string> fields;
  for (const auto& f : refused.error().fields) fields.push_back(f.field);
  EXPECT_THAT(fields, ElementsAre("name", "group", "expire_seconds", "spend_cents", "on_subscribe"));
  EXPECT_EQ(transport_.count(), 0u);
}

// Each problem carries a stable code and the figures its text needs, for the dashboard's own words.
TEST_F(ChannelServiceTest, EachProblemOfASpecHasAStableCodeAndItsParams) {
  ChannelSpec bad = spec("");
  bad.owner = std::string(201, 'o');
  bad.expire_seconds = 10;
  bad.spend_cents = domain::kMaxSpendCents + 1;
  bad.on_scan.kind = domain::ReplyChoice::Kind::kImage;
  auto refused = service_.create(bad);
  ASSERT_FALSE(refused);
  std::map<std::string, const FieldError*> by_field;
  for (const auto& f : refused.error().fields) by_field[f.field] = &f;
  ASSERT_EQ(by_field.size(), 5u);
  EXPECT_EQ(by_field["name"]->code, "required");
  EXPECT_EQ(by_field["owner"]->code, "too_long");
  EXPECT_EQ(by_field["owner"]->params, (ProblemParams{{"max", "200"}}));
  EXPECT_EQ(by_field["expire_seconds"]->code, "out_of_range");
  EXPECT_EQ(by_field["expire_seconds"]->params, (ProblemParams{{"min", "60"}, {"max", "2592000"}}));
  EXPECT_EQ(by_field["spend_cents"]->code, "out_of_range");
  EXPECT_EQ(by_field["spend_cents"]->params, (ProblemParams{{"min", "0"}, {"max", "1000000000000"}}));
  EXPECT_EQ(by_field["on_scan"]->code, "reply_incomplete");
  EXPECT_EQ(by_field["on_scan"]->params, (ProblemParams{{"needs", "media_id"}}));

  ChannelSpec permanent = spec("forever", ChannelKind::kPermanent);
  permanent.evergreen = true;
  refused = service_.create(permanent);
  ASSERT_FALSE(refused);
  ASSERT_EQ(refused.error().fields.size(), 1u);
  EXPECT_EQ(refused.error().fields[0].code, "evergreen_permanent");

  // The scene rules, each with its own code.
  struct Case {
    ChannelKind kind;
    std::string scene;
    bool string_scene;
    std::string code;
    ProblemParams params;
  };
  const std::vector<Case> scenes{
      {ChannelKind::kTemporary, "12a", false, "scene_not_integer", {}},
      {ChannelKind::kPermanent, "100001", false, "scene_range", {{"min", "1"}, {"max", "100000"}}},
      {ChannelKind::kTemporary, "7", false, "scene_range", {{"min", "100001"}, {"max", "4294967295"}}},
      {ChannelKind::kTemporary, std::string(65, 's'), true, "scene_length", {{"min", "1"}, {"max", "64"}}},
      {ChannelKind::kTemporary, "2024", true, "scene_all_digits", {}},
      {ChannelKind::kTemporary, "qrl_mine", true, "scene_reserved", {{"prefix", "qrl_"}}},
      {ChannelKind::kTemporary, "tab\there", true, "scene_characters", {}},
  };
  for (const auto& k : scenes) {
    ChannelSpec given = spec("scene " + k.code, k.kind);
    given.scene = k.scene;
    given.string_scene = k.string_scene;
    refused = service_.create(given);
    ASSERT_FALSE(refused) << k.scene;
    ASSERT_EQ(refused.error().fields.size(), 1u) << k.scene;
    EXPECT_EQ(refused.error().fields[0].field, "scene");
    EXPECT_EQ(refused.error().fields[0].code, k.code) << k.scene;
    EXPECT_EQ(refused.error().fields[0].params, k.params) << k.scene;
  }

  ASSERT_TRUE(service_.create(spec("made")));
  const auto made = *service_.list("wx1");
  ChannelEdit edit;
  edit.name = "";
  edit.spend_cents = -5;
  auto edited = service_.update(made.front().id, edit);
  ASSERT_FALSE(edited);
  ASSERT_EQ(edited.error().fields.size(), 2u);
  EXPECT_EQ(edited.error().fields[0].code, "required");
  EXPECT_EQ(edited.error().fields[1].code, "out_of_range");
  EXPECT_EQ(service_.set_external_codes("wx1", -1).error().fields.at(0).code, "out_of_range");
}

TEST_F(ChannelServiceTest, ATagIsFoundByNameOrCreated) {
  ChannelSpec tagged = spec("tagged");
  tagged.tag = "地推";
  EXPECT_EQ(service_.create(tagged)->wechat_tag_id, 101);
  tagged.name = "tagged 2";
  tagged.tag = "新";
  EXPECT_EQ(service_.create(tagged)->wechat_tag_id, 102);
  EXPECT_EQ(transport_.calls_to("tags/create").size(), 1u);
}

TEST_F(ChannelServiceTest, UpkeepRenewsEvergreenCodesAheadAndFlagsTheOthersOnceExpired) {
  ChannelSpec evergreen = spec("evergreen");
  evergreen.evergreen = true;
  evergreen.expire_seconds = 2 * 86'400;
  auto kept = service_.create(evergreen);
  ChannelSpec plain = spec("plain");
  plain.expire_seconds = 3600;
  auto lapsing = service_.create(plain);
  ASSERT_TRUE(kept && lapsing);

  UpkeepReport early = service_.upkeep();  // nothing due yet
  EXPECT_TRUE(early.renewed.empty() && early.expired.empty() && early.errors.empty());

  clock_.advance(std::chrono::hours(25));  // within a day of the evergreen's expiry; the plain one is dead
  UpkeepReport due = service_.upkeep();
  EXPECT_THAT(due.renewed, ElementsAre(kept->id));
  EXPECT_THAT(due.expired, ElementsAre(lapsing->id));
  auto renewed = service_.show(kept->id);
  EXPECT_EQ(renewed->ticket, "TICKET3");
  EXPECT_EQ(renewed->scene, kept->scene);  // the same scene, a new ticket
  EXPECT_EQ(renewed->expires_at, clock_.unix_seconds() + 2'592'000);
  EXPECT_EQ(service_.show(lapsing->id)->status, ChannelStatus::kExpired);
}

TEST_F(ChannelServiceTest, AFailedRenewalIsReportedAndTriedAgainNextTime) {
  ChannelSpec evergreen = spec("evergreen");
  evergreen.evergreen = true;
  evergreen.expire_seconds = 3600;
  auto kept = service_.create(evergreen);
  ASSERT_TRUE(kept);
  qr_errcode_ = 45009;
  UpkeepReport failed = service_.upkeep();
  EXPECT_TRUE(failed.renewed.empty());
  ASSERT_EQ(failed.errors.size(), 1u);
  EXPECT_THAT(failed.errors.front(), HasSubstr("evergreen"));
  EXPECT_EQ(service_.show(kept->id)->ticket, "TICKET1");
  EXPECT_THAT(failed.failed, ElementsAre(kept->id));
  EXPECT_EQ(service_.show(kept->id)->renewal_failed_at, clock_.unix_seconds());  // shown on the channel
  EXPECT_THAT(service_.show(kept->id)->renewal_error, HasSubstr("45009"));
  qr_errcode_ = 0;
  EXPECT_THAT(service_.upkeep().renewed, ElementsAre(kept->id));
  EXPECT_EQ(service_.show(kept->id)->renewal_failed_at, 0);
  EXPECT_EQ(service_.show(kept->id)->renewal_error, "");
}

TEST_F(ChannelServiceTest, TheBackendIsToldOnceOfACodeThatWillDieAndOfARenewalThatStartsFailing) {
  ChannelSpec flyer = spec("flyer");
  flyer.expire_seconds = 4 * 86'400;
  auto printed = service_.create(flyer);
  ChannelSpec screen = spec("screen");
  screen.evergreen = true;
  screen.expire_seconds = 2 * 86'400;
  auto renewing = service_.create(screen);
  ASSERT_TRUE(printed && renewing);
  (void)service_.upkeep();
  EXPECT_TRUE(notices_.jobs.empty());  // 4 days left: no warning yet

  clock_.advance(std::chrono::hours(25));  // the flyer is within 3 days; the screen is due for renewal
  qr_errcode_ = 45009;
  (void)service_.upkeep();
  (void)service_.upkeep();  // told once, whatever the number of upkeeps
  const std::string flyer_id = std::to_string(printed->id), screen_id = std::to_string(renewing->id);
  EXPECT_THAT(notices_.notices(), ElementsAre("channel.expiring:" + flyer_id, "channel.renewal_failed:" + screen_id,
                                              "channel.expiring:" + screen_id));  // it will die now
  const auto& failed = std::get<domain::ChannelNoticeJob>(notices_.jobs[1].payload);
  EXPECT_THAT(failed.error, HasSubstr("45009"));
  EXPECT_EQ(failed.url, renewing->url);
  qr_errcode_ = 0;
  (void)service_.upkeep();  // renewed: a new expiry, nothing to tell
  EXPECT_EQ(notices_.jobs.size(), 3u);
}

// A renewal that failed in the store, not at WeChat: the channel and the webhook get no database text.
TEST_F(ChannelServiceTest, ARenewalFailureShowsNoDatabaseText) {
  ChannelSpec screen = spec("screen");
  screen.evergreen = true;
  screen.expire_seconds = 3600;
  auto made = service_.create(screen);
  ASSERT_TRUE(made);
  repo_.fail_set_ticket = Error{ErrorCode::kUnavailable, "sqlite: UPDATE channels SET ticket = ?: database is locked"};
  const UpkeepReport report = service_.upkeep();
  EXPECT_THAT(report.failed, ElementsAre(made->id));
  const std::string shown = service_.show(made->id)->renewal_error;
  EXPECT_THAT(shown, ::testing::Not(HasSubstr("sqlite")));
  EXPECT_THAT(shown, HasSubstr("retry"));
  const auto& notice = std::get<domain::ChannelNoticeJob>(notices_.jobs.back().payload);
  EXPECT_EQ(notice.error, shown);
}

TEST_F(ChannelServiceTest, RetiringIsFinal) {
  auto made = service_.create(spec("once"));
  ASSERT_TRUE(made);
  ASSERT_TRUE(service_.set_status(made->id, ChannelStatus::kRetired));
  EXPECT_FALSE(service_.set_status(made->id, ChannelStatus::kActive));
  ChannelEdit rename;
  rename.name = "twice";
  auto edited = service_.update(made->id, rename);
  ASSERT_FALSE(edited);
  EXPECT_EQ(edited.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace qrscene::service
