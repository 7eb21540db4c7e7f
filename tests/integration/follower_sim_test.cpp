// Followers one by one and conversions, through the admin API of the service as `qrscene serve`
// assembles it, with simulated WeChat users following, scanning and leaving. Every figure is checked
// against a model the test keeps of what the users did — not against the store.
#include <algorithm>
#include <random>

#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Follow {
  std::string openid;
  std::int64_t channel = 0;  // 0: organic
  std::int64_t at = 0;
  std::optional<std::int64_t> left;
  bool first = true;
};

struct Touch {
  std::int64_t channel = 0;
  std::int64_t at = 0;
};

class FollowerSimTest : public ServiceSimTest {
 protected:
  // The plain account alone, so the API needs no ?appid=.
  config::Config one_account() const {
    auto c = config();
    c.accounts.resize(1);
    return c;
  }

  domain::Channel owned(std::string name, std::string owner, std::string tag = "") {
    service::ChannelSpec spec;
    spec.appid = kPlainApp;
    spec.name = std::move(name);
    spec.kind = domain::ChannelKind::kPermanent;
    spec.owner = std::move(owner);
    spec.tag = std::move(tag);
    auto made = runtime_->channels().create(spec);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? *made : domain::Channel{};
  }

  // Users follow through the channels, follow organically, scan while following and leave, at
  // random; the model records every follow and every touch of a channel.
  void play(int users, int actions, unsigned seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < users; ++i) people_.push_back(user());
    for (int i = 0; i < actions; ++i) {
      clock_.advance(std::chrono::seconds(30 + static_cast<int>(rng() % 60)));
      const std::int64_t now = clock_.unix_seconds();
      const std::string& u = people_[rng() % people_.size()];
      const auto& ch = channels_[rng() % channels_.size()];
      auto open = std::find_if(follows_.begin(), follows_.end(),
                               [&](const Follow& f) { return f.openid == u && !f.left; });
      const bool before = std::any_of(follows_.begin(), follows_.end(), [&](const Follow& f) { return f.openid == u; });
      if (open == follows_.end()) {
        if (rng() % 10 < 7) {
          act(sim_->platform().scan(kPlainApp, u, ch.ticket, true));
          follows_.push_back({u, ch.id, now, std::nullopt, !before});
          touches_[u].push_back({ch.id, now});
        } else {
          act(sim_->platform().follow(kPlainApp, u, ""));
          follows_.push_back({u, 0, now, std::nullopt, !before});
        }
      } else if (rng() % 2 == 0) {
        act(sim_->platform().unfollow(kPlainApp, u));
        open->left = now;
      } else {
        act(sim_->platform().scan(kPlainApp, u, ch.ticket, true));
        touches_[u].push_back({ch.id, now});
      }
    }
    ASSERT_TRUE(runtime_->run_jobs());  // tags, then profiles (unionid, tag names)
  }

  bool following(const std::string& u) const {
    return std::any_of(follows_.begin(), follows_.end(), [&](const Follow& f) { return f.openid == u && !f.left; });
  }
  const domain::Channel& channel_by_id(std::int64_t id) const {
    return *std::find_if(channels_.begin(), channels_.end(), [&](const auto& c) { return c.id == id; });
  }

  // The follows through channels the predicate accepts, oldest first.
  std::vector<Follow> expected(const std::function<bool(const domain::Channel&)>& which) const {
    std::vector<Follow> out;
    for (const auto& f : follows_) {
      if (f.channel != 0 && which(channel_by_id(f.channel))) out.push_back(f);
    }
    return out;
  }

  void expect_rows(const json& rows, const std::vector<Follow>& want) {
    ASSERT_EQ(rows.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const json& r = rows[i];
      const Follow& f = want[i];
      SCOPED_TRACE(fmt::format("row {}: {}", i, r.dump()));
      EXPECT_EQ(r["channel_id"], f.channel);
      EXPECT_EQ(r["followed_at"], f.at);
      EXPECT_EQ(r["following"], !f.left);
      EXPECT_EQ(r["first_follow"], f.first);
      EXPECT_EQ(r["pseudonym"].get<std::string>().size(), 32U);
      if (f.left) {
        EXPECT_EQ(r["left_at"], *f.left);
        EXPECT_TRUE(r["openid"].is_null());  // pseudonymous after the unfollow
        EXPECT_TRUE(r["unionid"].is_null());
        EXPECT_TRUE(r["tags"].empty());
      } else {
        EXPECT_TRUE(r["left_at"].is_null());
        EXPECT_EQ(r["openid"], f.openid);
        EXPECT_EQ(r["unionid"], sim_->platform().user(kPlainApp, f.openid)->unionid);
        if (channel_by_id(f.channel).wechat_tag_id != 0) {  // tagged before the profile was read
          EXPECT_THAT(r["tags"].get<std::vector<std::string>>(), ::testing::Contains(std::string("门店A粉丝")));
        }
      }
    }
  }

  std::vector<domain::Channel> channels_;
  std::vector<std::string> people_;
  std::vector<Follow> follows_;
  std::map<std::string, std::vector<Touch>> touches_;
};

TEST_F(FollowerSimTest, ListsPerChannelAndOwnerKeepPseudonymousRowsAfterUnfollows) {
  unionid_ = true;
  start(one_account());
  channels_ = {owned("门店A", "小王", "门店A粉丝"), owned("海报B", "小王"), owned("地推C", "老李")};
  play(24, 160, 11);
  const auto& a = channels_[0];
  ASSERT_GT(std::count_if(follows_.begin(), follows_.end(), [&](const Follow& f) { return f.channel == a.id && f.left; }), 0)
      << "the scenario should have someone leave channel A";

  // One channel, oldest first.
  json page = api_json("GET", fmt::format("/api/v1/followers?channel={}&per_page=500&order=asc", a.id));
  const auto want_a = expected([&](const domain::Channel& c) { return c.id == a.id; });
  EXPECT_EQ(page["total"], want_a.size());
  expect_rows(page["rows"], want_a);

  // A promoter's followers: both of 小王's channels.
  page = api_json("GET", "/api/v1/followers?owner=%E5%B0%8F%E7%8E%8B&per_page=500&order=asc");
  const auto want_wang = expected([](const domain::Channel& c) { return c.owner == "小王"; });
  EXPECT_EQ(page["total"], want_wang.size());
  expect_rows(page["rows"], want_wang);

  // Pages are slices of the whole; newest first by default.
  json all = api_json("GET", "/api/v1/followers?per_page=500");
  const auto want_all = expected([](const domain::Channel&) { return true; });
  ASSERT_EQ(all["rows"].size(), want_all.size());
  EXPECT_EQ(all["rows"][0]["followed_at"], want_all.back().at);
  json second = api_json("GET", "/api/v1/followers?per_page=5&page=2");
  EXPECT_EQ(second["total"], want_all.size());
  ASSERT_EQ(second["rows"].size(), 5U);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(second["rows"][i]["follow_id"], all["rows"][5 + i]["follow_id"]);

  // Who left, most recent departure first; and who is still there.
  json left = api_json("GET", "/api/v1/followers?status=left&sort=left_at&per_page=500");
  std::vector<Follow> want_left;
  for (const auto& f : want_all) {
    if (f.left) want_left.push_back(f);
  }
  std::sort(want_left.begin(), want_left.end(), [](const Follow& x, const Follow& y) { return *x.left > *y.left; });
  expect_rows(left["rows"], want_left);
  json staying = api_json("GET", "/api/v1/followers?status=following&per_page=500");
  EXPECT_EQ(staying["total"], want_all.size() - want_left.size());

  // One person's follows, by openid.
  const std::string someone = want_left.front().openid;
  json theirs = api_json("GET", "/api/v1/followers?order=asc&openid=" + someone);
  std::vector<Follow> want_theirs;
  for (const auto& f : want_all) {
    if (f.openid == someone) want_theirs.push_back(f);
  }
  expect_rows(theirs["rows"], want_theirs);

  // Bad parameters are named.
  auto bad = api("GET", "/api/v1/followers?status=gone&sort=openid&per_page=0");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  EXPECT_THAT(bad->body, HasSubstr("status: must be following, left or all"));

  // Exports: every row, as CSV (Excel's BOM, one line per follow) or as a workbook.
  auto csv = api("GET", fmt::format("/api/v1/followers/export?channel={}", a.id));
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200U);
  EXPECT_TRUE(csv->body.starts_with("\xEF\xBB\xBF" "follow_id,channel_id,channel,group,owner,followed_at,following"));
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv->body.begin(), csv->body.end(), '\n')), want_a.size() + 1);
  EXPECT_THAT(csv->body, HasSubstr(",门店A,"));
  auto xlsx = api("GET", "/api/v1/followers/export?format=xlsx&owner=%E5%B0%8F%E7%8E%8B");
  ASSERT_TRUE(xlsx);
  ASSERT_EQ(xlsx->status, 200U);
  EXPECT_TRUE(xlsx->body.starts_with("PK\x03\x04"));  // a zip: the .xlsx container
  EXPECT_THAT(xlsx->body, HasSubstr("xl/worksheets/sheet1.xml"));
  auto odd = api("GET", "/api/v1/followers/export?format=ods");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 400U);
  // And the token is needed.
  auto anonymous = api("GET", "/api/v1/followers", "", "");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401U);
}

// The expected figures of one key under one touch model, from the model of what users did.
struct Expect {
  std::int64_t conversions = 0, value = 0, followers = 0;
  std::set<std::string> people;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> first;  // person -> (occurred_at, lag)
  std::optional<std::int64_t> median() const {
    std::vector<std::int64_t> lags;
    for (const auto& [p, v] : first) lags.push_back(v.second);
    if (lags.empty()) return std::nullopt;
    std::sort(lags.begin(), lags.end());
    const std::size_t n = lags.size();
    return n % 2 == 1 ? lags[n / 2] : (lags[n / 2 - 1] + lags[n / 2]) / 2;
  }
};

TEST_F(FollowerSimTest, ConversionsAreCreditedFirstAndLastTouchPerChannelAndOwner) {
  unionid_ = true;
  start(one_account());
  channels_ = {owned("门店A", "小王", "门店A粉丝"), owned("海报B", "小王"), owned("地推C", "老李")};
  play(20, 120, 23);
  const std::int64_t start_time = kStart;
  const std::int64_t end_time = clock_.unix_seconds();

  struct Sent {
    std::string external_id, openid, unionid;
    std::int64_t value = 0, at = 0;
  };
  std::vector<Sent> sent;
  std::mt19937 rng(99);
  // Two conversions per person (some long after they left), half by openid and half by unionid.
  for (std::size_t i = 0; i < people_.size(); ++i) {
    for (int k = 0; k < 2; ++k) {
      Sent s;
      s.external_id = fmt::format("order-{}-{}", i, k);
      const auto u = sim_->platform().user(kPlainApp, people_[i]);
      if ((i + static_cast<std::size_t>(k)) % 2 == 0) {
        s.openid = people_[i];
      } else {
        s.unionid = u->unionid;
      }
      s.value = 100 + static_cast<std::int64_t>(rng() % 10'000);
      s.at = start_time + 7 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(end_time - start_time - 7));
      if (s.at % 30 == 0) ++s.at;  // never on the second of an action
      sent.push_back(s);
    }
  }
  // One for somebody WeChat never showed us.
  sent.push_back({"order-stranger", "", "oUnknownUnionid000000000000", 777, end_time - 5});

  const auto body = [](const Sent& s) {
    json j{{"external_id", s.external_id}, {"kind", "order"}, {"value_cents", s.value}, {"occurred_at", s.at}};
    if (!s.openid.empty()) j["openid"] = s.openid;
    if (!s.unionid.empty()) j["unionid"] = s.unionid;
    return j;
  };
  // The last eight come through the CSV import; the rest one by one.
  const std::size_t posted = sent.size() - 8;
  std::map<std::string, json> answers;
  for (std::size_t i = 0; i < posted; ++i) {
    answers[sent[i].external_id] = api_json("POST", "/api/v1/conversions", body(sent[i]).dump(), 201);
  }
  // A re-post is harmless and answers the first record; other values under the same id are refused.
  const json again = api_json("POST", "/api/v1/conversions", body(sent[0]).dump(), 200);
  EXPECT_EQ(again["duplicate"], true);
  EXPECT_EQ(again["id"], answers[sent[0].external_id]["id"]);
  json changed = body(sent[0]);
  changed["value_cents"] = sent[0].value + 1;
  const json conflict = api_json("POST", "/api/v1/conversions", changed.dump(), 409);
  EXPECT_THAT(conflict["error"]["message"].get<std::string>(), HasSubstr("recorded with other values"));
  const json invalid = api_json("POST", "/api/v1/conversions", R"({"kind":"Big Order","currency":"yuan"})", 400);
  for (const char* field : {"external_id", "openid", "kind", "value_cents", "currency", "occurred_at"}) {
    EXPECT_THAT(invalid["error"]["fields"].dump(), HasSubstr(field));
  }
  // An RFC 3339 time reads the same as Unix seconds.
  json rfc = body(sent[1]);
  rfc["occurred_at"] = fmt::format("{}", domain::time_label(sent[1].at, 0)).replace(10, 1, "T") + "Z";
  EXPECT_EQ(api_json("POST", "/api/v1/conversions", rfc.dump(), 200)["duplicate"], true);

  // The import: the last eight, a row already posted, and two bad rows reported by number.
  std::string csv = "external_id,openid,unionid,kind,value_cents,occurred_at\n";
  for (std::size_t i = posted; i < sent.size(); ++i) {
    csv += fmt::format("{},{},{},order,{},{}\n", sent[i].external_id, sent[i].openid, sent[i].unionid, sent[i].value,
                       sent[i].at);
  }
  csv += fmt::format("{},{},{},order,{},{}\n", sent[0].external_id, sent[0].openid, sent[0].unionid, sent[0].value,
                     sent[0].at);
  csv += "bad-1,oX,,Order!,100,1714010500\n";
  csv += "bad-2,oX,,order,lots,1714010500\n";
  for (int round = 0; round < 2; ++round) {  // the second import changes nothing
    auto r = api("POST", "/api/v1/conversions/import", csv, kAdminToken, "text/csv");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 207U);
    const json j = json::parse(r->body);
    EXPECT_EQ(j["recorded"], round == 0 ? 8 : 0);
    EXPECT_EQ(j["duplicates"], round == 0 ? 1 : 9);
    ASSERT_EQ(j["errors"].size(), 2U);
    EXPECT_EQ(j["errors"][0]["row"], 11);
    EXPECT_THAT(j["errors"][0]["message"].get<std::string>(), HasSubstr("kind:"));
    EXPECT_EQ(j["errors"][1]["row"], 12);
    EXPECT_THAT(j["errors"][1]["message"].get<std::string>(), HasSubstr("value_cents: 'lots'"));
    // Each with its field and stable code, for the dashboard's own words.
    EXPECT_EQ(j["errors"][0]["field"], "kind");
    EXPECT_EQ(j["errors"][0]["code"], "bad_format");
    EXPECT_EQ(j["errors"][0]["problems"][0]["params"]["max"], "32") << j["errors"][0].dump();
    EXPECT_EQ(j["errors"][1]["field"], "value_cents");
    EXPECT_EQ(j["errors"][1]["code"], "not_integer");
  }

  // What each conversion should be credited to, from the model alone.
  auto first_touch = [&](const std::string& u, std::int64_t at) -> std::optional<Touch> {
    for (const auto& f : follows_) {
      if (f.openid == u && f.channel != 0 && f.at <= at) return Touch{f.channel, f.at};
    }
    return std::nullopt;
  };
  auto last_touch = [&](const std::string& u, std::int64_t at) -> std::optional<Touch> {
    std::optional<Touch> out;
    for (const auto& t : touches_[u]) {
      if (t.at <= at) out = t;
    }
    return out;
  };
  auto person_of = [&](const Sent& s) -> std::string {
    if (!s.openid.empty()) return s.openid;
    for (const auto& u : people_) {
      // a unionid is known while its follower follows (the follower row holds it)
      if (sim_->platform().user(kPlainApp, u)->unionid == s.unionid && following(u)) return u;
    }
    return "";
  };
  for (std::size_t i = 0; i < posted; ++i) {
    const json& a = answers[sent[i].external_id];
    const std::string who = person_of(sent[i]);
    const auto ft = who.empty() ? std::nullopt : first_touch(who, sent[i].at);
    const auto lt = who.empty() ? std::nullopt : last_touch(who, sent[i].at);
    SCOPED_TRACE(a.dump());
    EXPECT_EQ(a["first_touch"].is_null(), !ft);
    if (ft) {
      EXPECT_EQ(a["first_touch"]["channel_id"], ft->channel);
    }
    EXPECT_EQ(a["last_touch"].is_null(), !lt);
    if (lt) {
      EXPECT_EQ(a["last_touch"]["at"], lt->at);
    }
  }

  for (const auto touch : {domain::Touch::kFirst, domain::Touch::kLast}) {
    for (const std::string by : {"channel", "owner"}) {
      SCOPED_TRACE(fmt::format("{} touch by {}", domain::to_string(touch), by));
      std::map<std::string, Expect> want;
      Expect unattributed;
      for (const auto& f : follows_) {
        if (f.channel == 0) continue;
        const auto& c = channel_by_id(f.channel);
        ++want[by == "channel" ? c.name : c.owner].followers;
      }
      for (const auto& s : sent) {
        const std::string who = person_of(s);
        const auto t = who.empty() ? std::nullopt
                       : touch == domain::Touch::kFirst ? first_touch(who, s.at)
                                                        : last_touch(who, s.at);
        Expect& e = t ? want[by == "channel" ? channel_by_id(t->channel).name : channel_by_id(t->channel).owner]
                      : unattributed;
        ++e.conversions;
        e.value += s.value;
        if (who.empty()) continue;
        e.people.insert(who);
        if (!t) continue;
        auto it = e.first.find(who);
        if (it == e.first.end() || s.at < it->second.first) e.first[who] = {s.at, s.at - t->at};
      }
      const json report = api_json(
          "GET", fmt::format("/api/v1/conversions/report?by={}&touch={}", by, domain::to_string(touch)));
      EXPECT_EQ(report["currency"], "CNY");
      std::int64_t total_value = 0;
      for (const auto& [key, e] : want) total_value += e.value;
      EXPECT_EQ(report["totals"]["value_cents"], total_value);
      EXPECT_EQ(report["unattributed"]["conversions"], unattributed.conversions);
      EXPECT_EQ(report["unattributed"]["value_cents"], unattributed.value);
      std::size_t rows_with_activity = 0;
      for (const auto& [key, e] : want) rows_with_activity += e.conversions > 0 || e.followers > 0;
      ASSERT_EQ(report["rows"].size(), rows_with_activity);
      for (const auto& row : report["rows"]) {
        const auto& e = want[row["key"].get<std::string>()];
        SCOPED_TRACE(row.dump());
        EXPECT_EQ(row["conversions"], e.conversions);
        EXPECT_EQ(row["converters"], e.people.size());
        EXPECT_EQ(row["value_cents"], e.value);
        EXPECT_EQ(row["followers"], e.followers);
        if (e.followers > 0) {
          EXPECT_DOUBLE_EQ(row["value_per_follower_cents"].get<double>(),
                           static_cast<double>(e.value) / static_cast<double>(e.followers));
        }
        const auto m = e.median();
        EXPECT_EQ(row["median_seconds_to_first"].is_null(), !m);
        if (m) {
      EXPECT_EQ(row["median_seconds_to_first"], *m);
    }
      }
    }
  }

  // The follower list carries each person's conversions.
  const json rows = api_json("GET", "/api/v1/followers?status=following&per_page=500")["rows"];
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) {
    const std::string u = r["openid"];
    std::int64_t count = 0, value = 0;
    for (const auto& s : sent) {
      if (person_of(s) == u) {
        ++count;
        value += s.value;
      }
    }
    EXPECT_EQ(r["conversions"], count) << u;
    EXPECT_EQ(r["value_cents"], value) << u;
  }
}

}  // namespace
}  // namespace qrscene
