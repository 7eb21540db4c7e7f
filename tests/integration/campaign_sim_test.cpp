// Fission campaigns (任务宝, issue 25) against the simulator over HTTP, with the service assembled
// as `qrscene serve` assembles it. A model of what the virtual users did — who followed through
// whose code, who was a follower before, who left and when — says what must be counted, taken
// back and rewarded; the service's API, the participants' WeChat inboxes and the webhook receiver
// must agree with it. Posters are decoded with ZBar to the participant's code.
#include <sqlite3.h>

#include <map>
#include <optional>
#include <set>
#include <thread>
#include <atomic>

#include "base/encoding.h"
#include "qr/qr_code.h"
#include "sim/fission.h"
#include "support/scratch_postgres.h"
#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr std::int64_t kDay = 86'400;

class CampaignSimTest : public ServiceSimTest {
 protected:
  // A campaign: keyword 助力, tiers at 2 and 4 invites, a friend who leaves within a day is taken back.
  Json campaign_body(std::int64_t days = 40) const {
    return Json{{"appid", kPlainApp},
                {"name", "双12 助力领好礼"},
                {"starts_at", kStart},
                {"ends_at", kStart + days * kDay},
                {"triggers", {{"keywords", {"助力"}}}},
                {"tiers",
                 {{{"invites", 2}, {"reward_text", "10 元优惠券"}, {"reward_code", "COUPON10"}},
                  {{"invites", 4}, {"reward_text", "保温杯"}, {"reward_code", "CUP"}}}},
                {"rules", {{"keep_seconds", kDay}, {"hourly_cap", 10}}},
                {"notify_template",
                 {{"template_id", template_id_}, {"fields", {{"keyword1", "{campaign}"}, {"keyword2", "{text}"}}}}},
                {"poster",
                 {{"width", 750},
                  {"height", 1334},
                  {"qr", {{"x", 225}, {"y", 800}, {"size", 300}}},
                  {"lines",
                   {{{"text", "扫码助我领好礼"}, {"x", 375}, {"y", 300}, {"size", 56}, {"align", "center"}},
                    {{"text", "有效期至 {expires}"}, {"x", 375}, {"y", 1200}, {"size", 32}, {"align", "center"}}}},
                  {"format", "jpeg"}}}};
  }

  void start_campaign(std::int64_t days = 40, bool delete_on_unfollow = false, std::string postgres_url = "") {
    config::Config c = config();
    if (delete_on_unfollow) c.privacy.on_unfollow = config::OnUnfollow::kDelete;
    if (!postgres_url.empty()) {
      c.store.backend = config::StoreBackend::kPostgres;
      c.store.url = Secret(postgres_url);
    }
    start(c);
    sim::SimTemplate t;
    t.title = "活动进度通知";
    t.content = "{{keyword1.DATA}}\n{{keyword2.DATA}}";
    auto added = sim_->platform().add_template(kPlainApp, t);
    ASSERT_TRUE(added) << added.error().to_string();
    template_id_ = added->template_id;
    const Json made = api_json("POST", "/api/v1/campaigns", campaign_body(days).dump(), 201);
    campaign_id_ = made.value("id", std::int64_t{0});
    ASSERT_GT(campaign_id_, 0) << made.dump();
  }

  // Everything logged is applied, and the jobs it made have run.
  void settle() {
    ASSERT_TRUE(runtime_->store().catch_up(std::chrono::seconds(10)));
    auto ran = runtime_->run_jobs();
    ASSERT_TRUE(ran) << ran.error().to_string();
  }

  std::vector<sim::ReceivedMessage> inbox(const std::string& openid) {
    return sim_->platform().received(kPlainApp, openid);
  }
  // The texts a user received, customer-service or template, in order.
  std::vector<std::string> texts(const std::string& openid) {
    std::vector<std::string> out;
    for (const auto& m : inbox(openid)) {
      const std::string type = m.message.value("msgtype", "");
      if (type == "text") out.push_back(m.message["text"].value("content", ""));
      if (type == "template") out.push_back("template: " + m.message["template"].value("content", ""));
    }
    return out;
  }
  // The URLs the user's last poster image holds (ZBar).
  std::vector<std::string> last_poster(const std::string& openid) {
    const auto all = inbox(openid);
    for (auto m = all.rbegin(); m != all.rend(); ++m) {
      if (m->message.value("msgtype", "") != "image" || !m->media) continue;
      auto gray = qr::decode_image(*m->media);
      EXPECT_TRUE(gray) << gray.error().to_string();
      if (!gray) return {};
      auto urls = qr::scan(*gray);
      EXPECT_TRUE(urls) << urls.error().to_string();
      return urls ? *urls : std::vector<std::string>{};
    }
    return {};
  }
  std::size_t images(const std::string& openid) {
    std::size_t n = 0;
    for (const auto& m : inbox(openid)) n += m.message.value("msgtype", "") == "image" ? 1 : 0;
    return n;
  }

  Json participants() {
    return api_json("GET", fmt::format("/api/v1/campaigns/{}/participants?limit=100", campaign_id_));
  }
  Json participant_of(const std::string& openid) {
    for (const auto& p : participants()) {
      if (p["openid"] == openid) return p;
    }
    return {};
  }
  Json stats() { return api_json("GET", fmt::format("/api/v1/campaigns/{}", campaign_id_))["stats"]; }
  std::vector<Json> reward_hooks() {
    std::lock_guard lock(hook_mu_);
    std::vector<Json> out;
    for (const auto& h : hooks_) {
      Json j = Json::parse(h.body, nullptr, false);
      if (j.is_object() && j.value("event", "") == "campaign.reward") out.push_back(j);
    }
    return out;
  }
  // A friend follows through the inviter's code: a new user, or one who followed before.
  std::string friend_follows(const std::string& url, bool followed_before = false) {
    const std::string f = followed_before ? sim_->platform().create_users(kPlainApp, 1, "", true)->at(0).openid : user();
    const auto r = act(sim_->platform().scan(kPlainApp, f, url, true));
    EXPECT_EQ(r.delivery.user_sees, "你的专属海报正在生成，请稍候…");  // friends join in turn
    return f;
  }

  std::string template_id_;
  std::int64_t campaign_id_ = 0;
};

TEST_F(CampaignSimTest, InvitesCountAndAreTakenBackAndEachTierIsGrantedOnceAsTheModelSays) {
  start_campaign();
  // The inviter asks for a poster: answered at once, the poster follows as an image.
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  EXPECT_EQ(act(sim_->platform().text(kPlainApp, a, "助力")).delivery.user_sees, "你的专属海报正在生成，请稍候…");
  settle();
  Json pa = participant_of(a);
  ASSERT_TRUE(pa.is_object()) << participants().dump();
  EXPECT_EQ(pa["scene"], fmt::format("qrf_{}_{}", campaign_id_, pa["id"].get<std::int64_t>()));
  const std::string url = pa["code_url"];
  ASSERT_THAT(url, HasSubstr("weixin.qq.com/q/"));
  EXPECT_EQ(last_poster(a), std::vector<std::string>{url});  // the poster decodes to their own code
  EXPECT_EQ(pa["posters_sent"], 1);

  // The model: what must count. Two new friends count (tier 2 is granted).
  int counted = 0;
  std::vector<std::string> friends;
  for (int i = 0; i < 2; ++i) friends.push_back(friend_follows(url));
  counted += 2;
  // Somebody who followed before scans: no invite (only first-ever follows count). The inviter
  // scanning their own code is no invite either.
  const std::string old_follower = friend_follows(url, /*followed_before=*/true);
  (void)act(sim_->platform().scan(kPlainApp, a, url, true));
  settle();
  EXPECT_EQ(participant_of(a)["counted"], counted);
  // The first friend leaves within a day: taken back, and the inviter is told.
  clock_.advance(std::chrono::hours(1));
  (void)act(sim_->platform().unfollow(kPlainApp, friends[0]));
  counted -= 1;
  settle();
  EXPECT_EQ(participant_of(a)["counted"], counted);
  // Two more count: back to 2 (nothing granted again), then 3.
  for (int i = 0; i < 2; ++i) friends.push_back(friend_follows(url));
  counted += 2;
  // One more: 4, the second tier.
  friends.push_back(friend_follows(url));
  counted += 1;
  settle();

  pa = participant_of(a);
  EXPECT_EQ(pa["counted"], counted);
  EXPECT_EQ(pa["taken_back"], 1);
  EXPECT_EQ(pa["rewarded_invites"], 4);
  const Json s = stats();
  EXPECT_EQ(s["invites_counted"], counted);
  EXPECT_EQ(s["invites_taken_back"], 1);
  // Friends who followed through the code joined and got their own posters (generation 2); the
  // old follower who scanned joined too.
  EXPECT_EQ(s["participants"], 1 + 5 + 1);
  EXPECT_EQ(s["invitees_who_joined"], 5 + 1);
  EXPECT_EQ(last_poster(friends[1]), std::vector<std::string>{participant_of(friends[1])["code_url"]});

  // Each tier once: two rewards, delivered, and one webhook each (signed, idempotent by id).
  const Json rewards = api_json("GET", fmt::format("/api/v1/campaigns/{}/rewards", campaign_id_));
  ASSERT_EQ(rewards.size(), 2U) << rewards.dump();
  std::set<int> tiers;
  for (const auto& r : rewards) {
    tiers.insert(r["tier"].get<int>());
    EXPECT_EQ(r["state"], "delivered") << r.dump();
    EXPECT_EQ(r["openid"], a);
  }
  EXPECT_EQ(tiers, (std::set<int>{2, 4}));
  const auto hooks = reward_hooks();
  ASSERT_EQ(hooks.size(), 2U);
  EXPECT_EQ(hooks[0]["reward_code"], "COUPON10");
  EXPECT_EQ(hooks[1]["reward_code"], "CUP");
  EXPECT_EQ(hooks[0]["openid"], a);
  EXPECT_EQ(hooks[0]["id"], fmt::format("reward-{}", hooks[0]["reward_id"].get<std::int64_t>()));

  // The inviter was told each step. Their one message opened five customer-service replies: the
  // poster (their own scan a moment later asked for no second one) and four texts; then WeChat
  // answers 45047 and the template tells the rest (each value cut at 20 characters, as WeChat
  // shows it).
  EXPECT_EQ(images(a), 1U);
  const auto told = texts(a);
  ASSERT_EQ(told.size(), 6U) << fmt::format("{}", fmt::join(told, " | "));
  EXPECT_EQ(told[0], "又有 1 位好友为你助力！已邀请 1 人，还差 1 人可得：10 元优惠券");
  EXPECT_EQ(told[1], "恭喜！你已邀请 2 人，获得：10 元优惠券");
  EXPECT_EQ(told[2], "1 位好友已取消关注，助力已撤回。已邀请 1 人，还差 1 人可得：10 元优惠券");
  EXPECT_EQ(told[3], "又有 1 位好友为你助力！已邀请 2 人，还差 2 人可得：保温杯");
  for (std::size_t i = 4; i < 6; ++i) EXPECT_THAT(told[i], HasSubstr("template: 双12 助力领好礼\n")) << i;
  EXPECT_THAT(told[4], HasSubstr("已邀请 3 人"));
  EXPECT_THAT(told[5], HasSubstr("恭喜！你已邀请 4 人"));
  (void)old_follower;
}

TEST_F(CampaignSimTest, OutsideTheWindowATemplateTellsAndARenewedCodeKeepsItsSceneWithANewPoster) {
  start_campaign();
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  (void)act(sim_->platform().text(kPlainApp, a, "助力"));
  settle();
  const Json first = participant_of(a);
  const std::string url = first["code_url"];
  // Three days later the inviter has not written since: a friend's invite is told by template.
  clock_.advance(std::chrono::hours(72));
  (void)friend_follows(url);
  settle();
  const auto told = texts(a);
  ASSERT_EQ(told.size(), 1U);
  EXPECT_THAT(told[0], HasSubstr("template: 双12 助力领好礼"));
  EXPECT_THAT(told[0], HasSubstr("已邀请 1 人"));

  // 29 days after the code was made it has a day left: the inviter writes (the window opens), the
  // hourly upkeep renews the code with the same scene and sends the new poster.
  clock_.advance(std::chrono::hours(24 * 26));
  (void)act(sim_->platform().text(kPlainApp, a, "你好"));
  ASSERT_TRUE(runtime_->store().catch_up(std::chrono::seconds(10)));
  (void)runtime_->upkeep();
  settle();
  const Json renewed = participant_of(a);
  EXPECT_EQ(renewed["scene"], first["scene"]);
  EXPECT_NE(renewed["code_url"], first["code_url"]);
  EXPECT_GT(renewed["code_expires_at"].get<std::int64_t>(), first["code_expires_at"].get<std::int64_t>());
  EXPECT_EQ(images(a), 2U);
  EXPECT_EQ(last_poster(a), std::vector<std::string>{renewed["code_url"]});
  // The old code still works until its own end: a friend through it still counts.
  (void)friend_follows(url);
  settle();
  EXPECT_EQ(participant_of(a)["counted"], 2);
}

TEST_F(CampaignSimTest, AnInviterWhoLeavesIsGoneEverywhereAndTheCountsStay) {
  start_campaign();
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  (void)act(sim_->platform().text(kPlainApp, a, "助力"));
  settle();
  const std::string url = participant_of(a)["code_url"];
  for (int i = 0; i < 2; ++i) (void)friend_follows(url);
  settle();
  clock_.advance(std::chrono::hours(2));
  (void)act(sim_->platform().unfollow(kPlainApp, a));
  settle();
  // The counts stay; the openid is gone from the API…
  const Json s = stats();
  EXPECT_EQ(s["invites_counted"], 2);
  EXPECT_EQ(s["participants_left"], 1);
  bool found = false;
  for (const auto& p : participants()) {
    if (p["counted"] == 2) {
      found = true;
      EXPECT_TRUE(p["openid"].is_null()) << p.dump();
      EXPECT_FALSE(p["left_at"].is_null());
    }
  }
  EXPECT_TRUE(found);
  const Json rewards = api_json("GET", fmt::format("/api/v1/campaigns/{}/rewards", campaign_id_));
  ASSERT_EQ(rewards.size(), 1U);
  EXPECT_TRUE(rewards[0]["openid"].is_null());
  // … and from every row of the database and of its event log.
  for (const char* file : {"qrscene.db", "qrscene-log.db"}) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / file).c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_exec(
      db, "SELECT name FROM sqlite_master WHERE type = 'table'",
      [](void* out, int, char** v, char**) {
        static_cast<std::vector<std::string>*>(out)->push_back(v[0]);
        return 0;
      },
      &tables, nullptr);
  ASSERT_GT(tables.size(), std::string_view(file) == "qrscene.db" ? 10U : 1U) << file;
  for (const auto& t : tables) {
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, fmt::format("SELECT * FROM \"{}\"", t).c_str(), -1, &q, nullptr), SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(q); ++c) {
        const auto* text = sqlite3_column_text(q, c);
        if (text == nullptr) continue;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(text)).find(a), std::string::npos)
            << file << " table " << t << " column " << sqlite3_column_name(q, c);
      }
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  }
  // A friend who follows through the code of somebody gone counts for nobody.
  (void)friend_follows(url);
  settle();
  EXPECT_EQ(stats()["invites_not_counted"].value("inviter_left", 0), 1);
}

// A reviewer's findings: with privacy "delete" a friend who stayed past the keep time could leave
// and follow again to count again (the ledger forgot them), and a follower from before qrscene
// could leave and come back through a code as a "first" follow.
TEST_F(CampaignSimTest, AFriendWhoLeftNeverCountsAgainEvenWhenPrivacyDeleteUnlinkedThem) {
  start_campaign(40, /*delete_on_unfollow=*/true);
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  (void)act(sim_->platform().text(kPlainApp, a, "助力"));
  settle();
  const std::string url = participant_of(a)["code_url"];
  const std::string f = friend_follows(url);
  (void)friend_follows(url);
  settle();
  ASSERT_EQ(participant_of(a)["rewarded_invites"], 2);  // tier 2 granted: f's invite is safe now
  clock_.advance(std::chrono::hours(48));                // past the keep time
  (void)act(sim_->platform().unfollow(kPlainApp, f));
  settle();
  EXPECT_EQ(participant_of(a)["counted"], 2);  // kept: after the keep time, and rewarded
  // f comes back through the same code, and again: never a first follow.
  for (int i = 0; i < 2; ++i) {
    clock_.advance(std::chrono::minutes(1));  // WeChat's same second would be one event to us (its dedup key)
    (void)act(sim_->platform().scan(kPlainApp, f, url, true));
    settle();
    (void)act(sim_->platform().unfollow(kPlainApp, f));
    settle();
  }
  // A follower from before qrscene leaves and comes back through the code: not first either.
  const std::string old = sim_->platform().create_users(kPlainApp, 1, "", true)->at(0).openid;
  (void)act(sim_->platform().unfollow(kPlainApp, old));
  (void)act(sim_->platform().scan(kPlainApp, old, url, true));
  settle();
  EXPECT_EQ(participant_of(a)["counted"], 2);
  EXPECT_EQ(stats()["invites_not_counted"].value("not_first_follow", 0), 3);
  // Retention still knows who left within 7 days, though their rows are unlinked.
  clock_.advance(std::chrono::hours(24 * 8));
  const Json r = stats()["retention_7d"];
  EXPECT_EQ(r["invitees"], 2);
  EXPECT_EQ(r["retained"], 1);  // f left 48 hours after following: within 7 days
}

TEST_F(CampaignSimTest, AKeywordInABurstCostsOnePosterAndACodeThatOutlivesTheCampaignIsNotRenewed) {
  start_campaign(/*days=*/20);
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  for (int i = 0; i < 3; ++i) (void)act(sim_->platform().text(kPlainApp, a, "助力"));
  settle();
  EXPECT_EQ(images(a), 1U);
  clock_.advance(std::chrono::minutes(2));
  (void)act(sim_->platform().text(kPlainApp, a, "助力"));  // a minute later: the poster again
  settle();
  EXPECT_EQ(images(a), 2U);
  const Json first = participant_of(a);
  // The code lives until a day after the campaign: on its last day nothing is renewed.
  clock_.advance(std::chrono::hours(24 * 19 + 12));
  (void)act(sim_->platform().text(kPlainApp, a, "你好"));
  ASSERT_TRUE(runtime_->store().catch_up(std::chrono::seconds(10)));
  (void)runtime_->upkeep();
  settle();
  EXPECT_EQ(participant_of(a)["code_url"], first["code_url"]);
  EXPECT_EQ(images(a), 2U);
}

// The fission crowd: participants share their posters (decoded from the images they received),
// friends follow and get posters of their own, some leave. The campaign's figures must be what the
// model of the users' actions says. On SQLite, and on PostgreSQL with privacy "delete".
class CampaignCrowdTest : public CampaignSimTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CampaignCrowdTest, AFissionCrowdsFiguresMatchTheModelOfWhatTheUsersDid) {
  std::optional<testing::ScratchPostgres> database;
  if (GetParam()) {
    database.emplace("qrscene_campaign");
    ASSERT_TRUE(database->ok());
  }
  start_campaign(40, /*delete_on_unfollow=*/GetParam(), GetParam() ? database->url() : "");
  sim::FissionOptions o;
  o.appid = kPlainApp;
  o.seeds = 6;
  o.max_friends = 4;
  o.follow_probability = 0.7;
  o.leave_probability = 0.2;
  o.seed = 11;
  sim::Fission crowd(*sim_, o);
  ASSERT_TRUE(crowd.join());
  settle();
  for (int round = 0; round < 6 && crowd.waiting(); ++round) {
    clock_.advance(std::chrono::minutes(10));
    auto scanned = crowd.share();
    ASSERT_TRUE(scanned) << scanned.error().to_string();
    settle();
  }
  EXPECT_FALSE(crowd.waiting());  // every participant below the last generation got a poster and shared it
  clock_.advance(std::chrono::minutes(30));
  ASSERT_TRUE(crowd.leave());
  settle();
  const sim::FissionModel& m = crowd.model();
  ASSERT_GT(m.invites_counted(), 5);  // the seed makes a crowd worth checking
  ASSERT_GT(m.invites_taken_back(), 0);
  EXPECT_EQ(m.undecodable, 0);
  const Json s = stats();
  EXPECT_EQ(s["participants"], m.participants());
  EXPECT_EQ(s["invites_counted"], m.invites_counted());
  EXPECT_EQ(s["invites_taken_back"], m.invites_taken_back());
  std::map<int, std::int64_t> generations;
  for (const auto& g : s["generations"]) generations[g["generation"].get<int>()] = g["participants"].get<std::int64_t>();
  EXPECT_EQ(generations, m.generations());
  const auto rewards = m.rewards({2, 4});
  std::map<int, std::int64_t> granted;
  for (const auto& r : s["rewards"]) granted[r["invites"].get<int>()] = r["granted"].get<std::int64_t>();
  EXPECT_EQ(granted[2], rewards.at(2));
  EXPECT_EQ(granted[4], rewards.at(4));
  // Rewards stay; those now above what counts are flagged.
  std::int64_t below = 0;
  for (const auto& [openid, p] : m.people) {
    const int rewarded = p.follows >= 4 ? 4 : p.follows >= 2 ? 2 : 0;
    below += rewarded > p.follows - p.leaves ? 1 : 0;
  }
  EXPECT_EQ(s["fraud"]["rewarded_below_tier"], below);
  // Each participant's own count, on the leaderboard.
  for (const auto& p : participants()) {
    if (p["openid"].is_null()) continue;
    const auto& person = m.people.at(p["openid"].get<std::string>());
    EXPECT_EQ(p["counted"], person.follows - person.leaves) << p.dump();
    EXPECT_EQ(p["generation"], person.generation);
  }
  // Friends who left, and come back through the same code: never counted again.
  int came_back = 0;
  for (const auto& [openid, person] : m.people) {
    const Json inviter = person.left ? participant_of(person.invited_by) : Json();
    if (!inviter.is_object() || !inviter.contains("code_url")) continue;  // the inviter left too
    clock_.advance(std::chrono::minutes(1));
    (void)act(sim_->platform().scan(kPlainApp, openid, inviter["code_url"].get<std::string>(), true));
    ++came_back;
  }
  ASSERT_GT(came_back, 0);
  settle();
  EXPECT_EQ(stats()["invites_counted"], m.invites_counted());
  runtime_.reset();  // before its database goes
}

INSTANTIATE_TEST_SUITE_P(Stores, CampaignCrowdTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Postgres" : "Sqlite"; });

// The same crowd through the simulator's control API, against a service whose jobs run beside it.
TEST_F(CampaignSimTest, TheFissionLoadModeRunsACrowdAgainstALiveService) {
  start_campaign();
  std::atomic<bool> done{false};
  std::thread jobs([&] {
    while (!done) {
      (void)runtime_->store().catch_up(std::chrono::seconds(2));
      (void)runtime_->run_jobs();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  wechat::HttpCall call;
  call.method = "POST";
  call.url = sim_base_ + "/sim/accounts/" + kPlainApp + "/fission";
  call.body = Json{{"seeds", 4}, {"max_friends", 3}, {"follow_probability", 1.0}, {"leave_probability", 0.0},
                   {"max_generation", 2}, {"wait_seconds", 20}, {"seed", 3}}
                  .dump();
  call.headers = {{"Content-Type", "application/json"}};
  call.timeout = std::chrono::seconds(120);
  auto r = transport_.send(call);
  done = true;
  jobs.join();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->status, 200U) << r->body;
  const Json report = Json::parse(r->body);
  EXPECT_EQ(report["undecodable"], 0);
  ASSERT_TRUE(runtime_->store().catch_up(std::chrono::seconds(10)));
  EXPECT_EQ(stats()["invites_counted"], report["invites_counted"]);
  EXPECT_EQ(stats()["participants"], report["participants"]);
  // Bad options are refused, naming the ranges.
  call.body = Json{{"seeds", 0}}.dump();
  auto bad = transport_.send(call);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  EXPECT_THAT(bad->body, HasSubstr("seeds 1..10000"));
}

TEST_F(CampaignSimTest, APosterIsDrawnOnTheCampaignsBackground) {
  start(config());
  // A background of the campaign's own: orange, 750 × 1334.
  qr::RgbImage bg{750, 1334, {}};
  for (int i = 0; i < bg.width * bg.height; ++i) bg.pixels.insert(bg.pixels.end(), {240, 120, 20});
  auto png = qr::encode_png(bg);
  ASSERT_TRUE(png);
  Json body = campaign_body();
  body["notify_template"] = Json::object();
  body["poster"].erase("width");
  body["poster"].erase("height");
  body["poster"]["background"] = encode_base64(*png);
  const Json made = api_json("POST", "/api/v1/campaigns", body.dump(), 201);
  EXPECT_EQ(made["poster"]["has_background"], true);
  campaign_id_ = made.value("id", std::int64_t{0});
  const std::string a = user();
  (void)act(sim_->platform().follow(kPlainApp, a, ""));
  (void)act(sim_->platform().text(kPlainApp, a, "助力"));
  settle();
  ASSERT_EQ(images(a), 1U);
  const auto received = inbox(a);
  const auto& image = *std::find_if(received.begin(), received.end(), [](const auto& m) {
                         return m.message.value("msgtype", "") == "image";
                       })->media;
  auto rgb = qr::decode_image_rgb(image);
  ASSERT_TRUE(rgb) << rgb.error().to_string();
  EXPECT_EQ(rgb->width, 750);
  EXPECT_EQ(rgb->height, 1334);
  const std::size_t corner = (10 * 750 + 10) * 3;  // far from the code and the lines: the background (JPEG, near)
  EXPECT_NEAR(rgb->pixels[corner], 240, 12);
  EXPECT_NEAR(rgb->pixels[corner + 1], 120, 12);
  EXPECT_NEAR(rgb->pixels[corner + 2], 20, 12);
  EXPECT_EQ(last_poster(a), std::vector<std::string>{participant_of(a)["code_url"]});
}

TEST_F(CampaignSimTest, ABadCampaignIsRefusedByFieldAndNothingIsStored) {
  start(config());
  Json body{{"appid", kPlainApp},
            {"name", "x"},
            {"starts_at", kStart},
            {"ends_at", kStart + kDay},
            {"triggers", {{"keywords", {"助力"}}}},
            {"tiers", {{{"invites", 2}, {"reward_text", "券"}}}},
            {"poster", {{"width", 600}, {"height", 600}, {"qr", {{"x", 500}, {"y", 500}, {"size", 300}}}}}};
  auto r = api("POST", "/api/v1/campaigns", body.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400U) << r->body;
  EXPECT_THAT(r->body, HasSubstr("poster.qr"));
  body["poster"] = Json{{"width", 600}, {"height", 600}, {"qr", {{"x", 150}, {"y", 150}, {"size", 300}}}};
  body["tiers"] = Json::array({Json{{"invites", "two"}}});
  r = api("POST", "/api/v1/campaigns", body.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400U);
  EXPECT_THAT(r->body, HasSubstr("tiers[0].invites"));
  EXPECT_EQ(api_json("GET", std::string("/api/v1/campaigns?appid=") + kPlainApp).size(), 0U);
  // A keyword another campaign answers at the same time: 409, naming the field and that campaign.
  const Json first = api_json("POST", "/api/v1/campaigns", campaign_body().dump(), 201);
  r = api("POST", "/api/v1/campaigns", campaign_body().dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409U) << r->body;
  const Json clash = Json::parse(r->body);
  EXPECT_EQ(clash["error"]["problems"][0]["field"], "triggers.keywords[0]");
  EXPECT_EQ(clash["error"]["problems"][0]["code"], "trigger_taken");
  EXPECT_EQ(clash["error"]["problems"][0]["params"]["campaign_id"], std::to_string(first["id"].get<std::int64_t>()));
  Json later = campaign_body();  // the same keyword once the first has ended is fine
  later["starts_at"] = first["ends_at"];
  later["ends_at"] = first["ends_at"].get<std::int64_t>() + kDay;
  (void)api_json("POST", "/api/v1/campaigns", later.dump(), 201);
  // The preview draws a sample code where the body says.
  body["tiers"] = Json::array({Json{{"invites", 2}, {"reward_text", "券"}}});
  r = api("POST", "/api/v1/campaigns/preview", body.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200U) << r->body;
  auto gray = qr::decode_image(r->body);
  ASSERT_TRUE(gray);
  auto urls = qr::scan(*gray);
  ASSERT_TRUE(urls);
  EXPECT_EQ(urls->size(), 1U);
}

}  // namespace
}  // namespace qrscene
