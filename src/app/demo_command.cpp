#include "app/demo_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "app/serve_command.h"
#include "app/service_runtime.h"
#include "app/terminal.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "domain/campaign.h"
#include "net/curl_transport.h"
#include "net/http_server.h"
#include "qr/qr_code.h"
#include "sim/fission.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace qrscene::app {
namespace {

constexpr const char* kAppId = "wx0a1b2c3d4e5f6789";
constexpr const char* kSecret = "qrscene-demo-secret-0123456789ab";
constexpr const char* kToken = "qrscenedemo";
constexpr const char* kAesKey = "qrsceneDemoEncodingAESKey0123456789abcdefgh";
constexpr const char* kOriginalId = "gh_qrscenedemo";

struct DemoSettings {
  int users = 3000;
  std::uint64_t seed = 1;
  bool keep_running = false;
  std::string dir = "qrscene-demo";
  int port = 0;
};

struct DemoChannel {
  service::ChannelSpec spec;
  double weight;  // share of the users who meet this code first
  std::string file;
};

std::vector<DemoChannel> demo_channels() {
  auto text = [](std::string t) {
    domain::ReplyChoice r;
    r.kind = domain::ReplyChoice::Kind::kText;
    r.text = std::move(t);
    return r;
  };
  auto spec = [&](std::string name, std::string group, std::string owner, domain::ChannelKind kind,
                  std::optional<std::string> scene, std::string tag, std::string greeting) {
    service::ChannelSpec s;
    s.appid = kAppId;
    s.name = std::move(name);
    s.group = std::move(group);
    s.owner = std::move(owner);
    s.kind = kind;
    s.scene = std::move(scene);
    s.string_scene = s.scene.has_value();
    s.tag = std::move(tag);
    s.on_subscribe = text(std::move(greeting));
    s.on_scan = text("欢迎回来！本店今日优惠见菜单「会员」。Welcome back to {channel}.");
    return s;
  };
  std::vector<DemoChannel> out{
      {spec("门店·上海静安 Store Shanghai Jing'an", "stores", "张店长", domain::ChannelKind::kPermanent,
            "store-sh-jingan", "门店粉丝",
            "欢迎关注！您来自{channel}，到店出示本消息享 9 折。Welcome from {channel}: show this for 10% off."),
       0.30, "store-shanghai"},
      {spec("门店·北京三里屯 Store Beijing Sanlitun", "stores", "李店长", domain::ChannelKind::kPermanent,
            "store-bj-sanlitun", "门店粉丝", "欢迎关注{channel}！Welcome from {channel}."),
       0.25, "store-beijing"},
      {spec("海报·地铁2号线 Poster Metro Line 2", "posters", "市场部", domain::ChannelKind::kPermanent, std::nullopt,
            "", "感谢扫码关注，新人礼包已放入「我的」。Thanks for following: your welcome gift is waiting."),
       0.20, "poster-metro"},
      {spec("推广员·王芳 Promoter Wang Fang", "promoters", "王芳", domain::ChannelKind::kPermanent, "promoter-wangfang",
            "推广员-王芳", "你好，我是推广员{owner}，有问题随时找我。Hi, I'm {owner}, your contact."),
       0.15, "promoter-wangfang"},
      {spec("广告·双11 Ad Double 11 (temporary)", "ads", "市场部", domain::ChannelKind::kTemporary, std::nullopt, "",
            "双11 优惠券已发放！Your Double 11 coupon is ready."),
       0.10, "ad-double11"},
  };
  out.back().spec.expire_seconds = 7 * 86'400;
  out.back().spec.evergreen = true;
  return out;
}

struct Expected {
  std::int64_t scans = 0, new_follows = 0, unfollows = 0;
};

namespace fs = std::filesystem;

// False (said on stderr) when the directory cannot be made.
bool prepare_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    fmt::print(stderr, "qrscene demo: cannot create {}: {} (choose another --dir)\n", dir, ec.message());
    return false;
  }
  // A fresh database each run, so that the table shows this run.
  for (const char* f : {"qrscene.db", "qrscene.db-wal", "qrscene.db-shm", "qrscene-log.db", "qrscene-log.db-wal",
                        "qrscene-log.db-shm"}) {
    fs::remove(fs::path(dir) / f, ec);
  }
  return true;
}

sim::SimulatorOptions simulator_options(std::uint64_t seed) {
  sim::SimulatorOptions so;
  so.seed = seed;
  return so;
}

net::Router routes_of(sim::Simulator& simulator) {
  net::Router router;
  simulator.add_routes(router);
  return router;
}

// WeChat, simulated: the API host, the image host and the users, on its own loopback port.
struct SimulatedWeChat {
  net::CurlTransport transport;
  sim::Simulator simulator;
  asio::io_context io;
  net::HttpServer server;
  std::vector<std::thread> threads;

  SimulatedWeChat(const Clock& clock, std::uint64_t seed)
      : simulator(clock, transport, simulator_options(seed)),
        server(io, sim::simulator_server_options(), routes_of(simulator)) {}

  // False (said on stderr) when it cannot listen.
  bool start() {
    if (auto st = server.start(); !st) {
      fmt::print(stderr, "qrscene demo: {}\n", st.error().message);
      return false;
    }
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
    return true;
  }
  void stop() {
    server.stop();
    for (auto& t : threads) t.join();
  }
  std::string base_url() { return fmt::format("http://127.0.0.1:{}", server.port()); }
};

// The service, configured as an operator would, in safe mode.
config::Config demo_config(const DemoSettings& s, const std::string& sim_base) {
  config::Config c;
  c.wechat.api_base = sim_base;
  c.wechat.mp_base = sim_base;
  c.server.port = s.port;
  // Days pass in seconds here, so a push may be "hours" old when it lands: widen the window that
  // a real deployment keeps at 300 s.
  c.server.timestamp_window_seconds = 86'400;
  c.store.path = (fs::path(s.dir) / "qrscene.db").string();
  c.replies.organic_subscribe = "感谢关注！Thanks for following.";
  config::AccountConfig account;
  account.appid = kAppId;
  account.name = "qrscene 演示号 Demo account";
  account.secret = Secret(kSecret);
  account.token = kToken;
  account.encoding_aes_key = Secret(kAesKey);
  account.mode = "safe";
  account.original_id = kOriginalId;
  c.accounts.push_back(account);
  return c;
}

// A fresh admin token for the dashboard and the CLI, printed below and kept beside the data.
std::string new_admin_token(const std::string& dir) {
  std::array<std::uint8_t, 16> token_bytes{};
  secure_random_bytes(token_bytes);
  const std::string admin_token = to_hex(token_bytes);
  std::ofstream(fs::path(dir) / "admin-token") << admin_token << "\n";
  return admin_token;
}

// The demo account as the simulator knows it: it pushes to the service, in safe mode.
void add_demo_account(sim::Simulator& simulator, const std::string& service_base) {
  sim::SimAccount sa;
  sa.appid = kAppId;
  sa.secret = kSecret;
  sa.token = kToken;
  sa.encoding_aes_key = kAesKey;
  sa.mode = sim::PushMode::kSafe;
  sa.original_id = kOriginalId;
  sa.callback_url = service_base + "/wechat/" + kAppId;
  simulator.add_account(sa);
}

// Channels, each with its QR code as a PNG in `dir`; each spec's `file` becomes the PNG's path
// (or why there is none).
Result<std::vector<domain::Channel>> create_channels(ServiceRuntime& rt, std::vector<DemoChannel>& specs,
                                                     const std::string& dir) {
  std::vector<domain::Channel> channels;
  for (auto& d : specs) {
    auto made = rt.channels().create(d.spec);
    if (!made) {
      return unexpected(made.error().code, fmt::format("creating channel '{}': {}", d.spec.name, made.error().message));
    }
    auto png = [&]() -> Result<std::string> {
      QRSCENE_ASSIGN_OR_RETURN(auto matrix, qr::encode(made->url));
      QRSCENE_ASSIGN_OR_RETURN(auto image, qr::rasterize(matrix, 430));
      return qr::encode_png(image);
    }();
    const fs::path file = fs::path(dir) / (d.file + ".png");
    if (png) {
      std::ofstream(file, std::ios::binary) << *png;
      d.file = file.string();
    } else {
      d.file = "(no image: " + png.error().message + ")";
    }
    channels.push_back(std::move(*made));
  }
  return channels;
}

// What the simulator says the users did.
struct Tally {
  std::map<std::int64_t, Expected> expected;  // by channel id
  std::int64_t pushes = 0, failed = 0;
  double seconds = 0;  // wall time the users took
};

// Virtual users: each meets one code, most follow; some scan again later, some unfollow, and
// some of those come back through another code. What the simulator says happened is counted.
class Crowd {
 public:
  Crowd(std::uint64_t seed, FakeClock& clock, sim::Simulator& simulator, const std::vector<DemoChannel>& specs,
        const std::vector<domain::Channel>& channels, const std::vector<sim::SimUser>& users,
        std::chrono::seconds arrival)
      : seed_(seed), clock_(clock), simulator_(simulator), specs_(specs), channels_(channels), users_(users),
        arrival_(arrival) {}

  // Every user's story, on 8 threads.
  Tally run() {
    const auto users_started = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < 8; ++w) workers.emplace_back([this] { work(); });
    for (auto& t : workers) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - users_started).count();
    return Tally{std::move(expected_), pushes_.load(), failed_.load(), seconds};
  }

 private:
  std::size_t pick(sim::Rng& rng) const {
    double x = rng.unit();
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      if ((x -= specs_[i].weight) < 0) return i;
    }
    return specs_.size() - 1;
  }

  void work() {
    for (;;) {
      const std::size_t i = next_.fetch_add(1);
      if (i >= users_.size()) return;
      live(i);
    }
  }

  void live(std::size_t i) {
    sim::Rng rng(seed_ * 1'000'003 + i);  // each user's story depends on the seed only
    const std::string& openid = users_[i].openid;
    std::optional<std::int64_t> joined;
    clock_.advance(arrival_);
    const auto& first = channels_[pick(rng)];
    act(simulator_.platform().scan(kAppId, openid, first.ticket, rng.unit() < 0.75), first.id, joined);
    if (!joined) return;
    auto later = [&] { clock_.advance(std::chrono::seconds(1 + rng.below(60))); };
    if (rng.unit() < 0.3) {
      later();
      const auto& again = channels_[pick(rng)];
      act(simulator_.platform().scan(kAppId, openid, again.ticket, true), again.id, joined);
    }
    if (rng.unit() < 0.12) {
      later();
      act(simulator_.platform().unfollow(kAppId, openid), 0, joined);
      if (rng.unit() < 0.3) {
        later();
        const auto& back = channels_[pick(rng)];
        act(simulator_.platform().scan(kAppId, openid, back.ticket, true), back.id, joined);
      }
    }
  }

  void act(Result<sim::Action> action, std::int64_t channel, std::optional<std::int64_t>& joined) {
    auto r = simulator_.act(std::move(action));
    if (!r || r->action.event.empty()) return;
    ++pushes_;
    const auto outcome = r->delivery.outcome;
    if (outcome != sim::Delivery::Outcome::kReplied && outcome != sim::Delivery::Outcome::kNothing) ++failed_;
    std::lock_guard lock(mu_);
    if (r->action.event == "subscribe") {
      ++expected_[channel].scans;
      ++expected_[channel].new_follows;
      joined = channel;
    } else if (r->action.event == "SCAN") {
      ++expected_[channel].scans;
    } else if (r->action.event == "unsubscribe" && joined) {
      ++expected_[*joined].unfollows;
      joined.reset();
    }
  }

  const std::uint64_t seed_;
  FakeClock& clock_;
  sim::Simulator& simulator_;
  const std::vector<DemoChannel>& specs_;
  const std::vector<domain::Channel>& channels_;
  const std::vector<sim::SimUser>& users_;
  const std::chrono::seconds arrival_;
  std::mutex mu_;
  std::map<std::int64_t, Expected> expected_;
  std::atomic<std::int64_t> pushes_{0}, failed_{0};
  std::atomic<std::size_t> next_{0};
};

// The tagging the background loop would do over the next minutes, done now: a job that failed
// waits out its backoff on the demo's clock.
void drain_jobs(ServiceRuntime& rt, FakeClock& clock) {
  for (int round = 0, idle = 0; round < 1'000 && idle < 30; ++round) {
    auto r = rt.run_jobs();
    if (!r) break;
    if (r->done + r->retried + r->failed > 0) continue;
    auto queue = rt.store().job_counts(kAppId);
    if (!queue || queue->pending + queue->running == 0) break;
    clock.advance(std::chrono::minutes(1));
    ++idle;
  }
}

struct Orders {
  std::int64_t count = 0, cents = 0;
};

// A quarter of those still following later place an order (收款前关注), sent as the account's
// backend would send it: the conversions page and report have something to show.
Orders place_orders(ServiceRuntime& rt, sim::Simulator& simulator, const std::vector<sim::SimUser>& users,
                    std::uint64_t seed, const Clock& clock) {
  Orders orders;
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto u = simulator.platform().user(kAppId, users[i].openid);
    sim::Rng rng(seed * 7'919 + i);
    if (!u || !u->subscribed || rng.unit() >= 0.25) continue;
    domain::ConversionInput order;
    order.appid = kAppId;
    order.external_id = fmt::format("demo-order-{}", i);
    order.openid = users[i].openid;
    order.kind = "order";
    order.value_cents = 990 + static_cast<std::int64_t>(rng.below(29'000));
    order.occurred_at = clock.unix_seconds();
    if (rt.conversions().record(order)) {
      ++orders.count;
      orders.cents += order.value_cents;
    }
  }
  return orders;
}

// A fission campaign (任务宝) on the same account: twelve people send 助力, get their posters, and
// share them; friends scan the posters, follow, get posters of their own and share in turn (three
// generations); a tenth of the friends leave again. The campaign's figures must match what the
// simulator's users did. The campaign's id, or an error.
struct CampaignOutcome {
  std::int64_t id = 0;
  bool matches = false;
};

Result<CampaignOutcome> run_campaign(ServiceRuntime& rt, sim::Simulator& simulator, FakeClock& clock,
                                     std::uint64_t seed) {
  sim::SimTemplate notice;
  notice.title = "活动进度通知";
  notice.content = "{{keyword1.DATA}}\n{{keyword2.DATA}}";
  QRSCENE_ASSIGN_OR_RETURN(auto added, simulator.platform().add_template(kAppId, notice));
  domain::Campaign c;
  c.appid = kAppId;
  c.name = "双12 助力领好礼";
  c.starts_at = clock.unix_seconds() - 3600;
  c.ends_at = c.starts_at + 14 * 86'400;
  c.triggers.keywords = {"助力"};
  c.tiers = {{2, "10 元优惠券", "COUPON10"}, {4, "保温杯", "CUP"}};
  c.rules.keep_seconds = 86'400;
  c.notify_template.template_id = added.template_id;
  c.notify_template.fields = {{"keyword1", "{campaign}"}, {"keyword2", "{text}"}};
  c.poster.width = 750;
  c.poster.height = 1334;
  c.poster.background_color = "#fff5e6";
  c.poster.qr_x = 225;
  c.poster.qr_y = 760;
  c.poster.qr_size = 300;
  c.poster.lines = {{"扫码助我领好礼", 375, 300, 64, "#8a1c1c", true, "center", 700},
                    {"{campaign}", 375, 420, 40, "#333333", false, "center", 700},
                    {"有效期至 {expires}", 375, 1240, 30, "#666666", false, "center", 700}};
  QRSCENE_TRY(domain::validate_campaign(c));
  QRSCENE_ASSIGN_OR_RETURN(auto made, rt.store().create_campaign(c, ""));
  sim::FissionOptions options;
  options.appid = kAppId;
  options.seed = seed;
  sim::Fission crowd(simulator, options);
  auto settle = [&]() -> Status {
    QRSCENE_TRY(rt.store().catch_up(std::chrono::seconds(30)));
    drain_jobs(rt, clock);
    return {};
  };
  QRSCENE_TRY(crowd.join());
  QRSCENE_TRY(settle());
  for (int round = 0; round < 8; ++round) {
    clock.advance(std::chrono::minutes(10));  // friends see the poster a little later
    QRSCENE_ASSIGN_OR_RETURN(int scanned, crowd.share());
    QRSCENE_TRY(settle());
    if (scanned == 0) break;
  }
  clock.advance(std::chrono::minutes(30));
  QRSCENE_TRY(crowd.leave());
  QRSCENE_TRY(settle());

  const sim::FissionModel& m = crowd.model();
  QRSCENE_ASSIGN_OR_RETURN(auto s, rt.store().campaign_stats(made.id, clock.unix_seconds()));
  const auto rewards = m.rewards({2, 4});
  std::map<int, std::int64_t> granted;
  for (const auto& [tier, n] : s.rewards_by_tier) granted[tier] = n[0];
  const bool matches = s.participants == m.participants() && s.invites_counted == m.invites_counted() &&
                       s.invites_taken_back == m.invites_taken_back() && granted[2] == rewards.at(2) &&
                       granted[4] == rewards.at(4) && s.participants_by_generation == m.generations() &&
                       m.undecodable == 0;
  fmt::print("\ncampaign {} \"{}\": {} participants ({} generations), {} posters sent, {} friends scanned a poster\n",
             made.id, made.name, s.participants, s.participants_by_generation.size(), s.posters_sent, m.scans);
  fmt::print("  invites {} counted, {} taken back (simulator: {} / {}); fission rate {:.2f}\n", s.invites_counted,
             s.invites_taken_back, m.invites_counted(), m.invites_taken_back(),
             s.participants > 0 ? static_cast<double>(s.invites_counted) / static_cast<double>(s.participants) : 0.0);
  for (const auto& [tier, n] : s.rewards_by_tier) {
    fmt::print("  reward at {} invites: {} granted, {} delivered, {} failed (simulator: {})\n", tier, n[0], n[1], n[2],
               rewards.count(tier) ? rewards.at(tier) : 0);
  }
  fmt::print("campaign figures match what the simulator's users did: {}\n", matches ? "yes" : "NO");
  return CampaignOutcome{made.id, matches};
}

// The per-channel table; true when every row matches what the simulator's users did.
bool print_channel_table(const std::vector<ChannelTotals>& totals, std::map<std::int64_t, Expected>& expected) {
  bool matches = true;
  fmt::print("\n{:<44} {:>9} {:>7} {:>12} {:>10} {:>6}\n", "channel 渠道", "kind", "scans", "new follows",
             "unfollows", "net");
  for (const auto& t : totals) {
    const Expected& e = expected[t.channel.id];
    const bool same = e.scans == t.counters.scans && e.new_follows == t.counters.new_follows &&
                      e.unfollows == t.counters.unfollows;
    matches = matches && same;
    // Pad by display width: CJK characters take two columns.
    const std::size_t width = display_width(t.channel.name);
    fmt::print("{}{} {:>9} {:>7} {:>12} {:>10} {:>6}{}\n", t.channel.name,
               std::string(width < 44 ? 44 - width : 0, ' '), domain::to_string(t.channel.kind), t.counters.scans,
               t.counters.new_follows, t.counters.unfollows, t.counters.new_follows - t.counters.unfollows,
               same ? "" : fmt::format("  (simulator: {} / {} / {})", e.scans, e.new_follows, e.unfollows));
  }
  return matches;
}

void print_summary(ServiceRuntime& rt, const Tally& tally, std::size_t users, const Orders& orders, bool matches) {
  const auto counters = rt.callback().counters();
  fmt::print("\n{} users, {} pushes in {:.1f} s ({:.0f}/s), {} answered with a greeting, {} failed; {} group commits\n",
             users, tally.pushes, tally.seconds,
             tally.seconds > 0 ? static_cast<double>(tally.pushes) / tally.seconds : 0.0, counters.replies,
             tally.failed, rt.store().commits());
  if (auto queue = rt.store().job_counts(kAppId); queue) {
    fmt::print("jobs: {} done (tagging, follower profiles), {} pending, {} failed\n", queue->done, queue->pending + queue->running,
               queue->failed);
  }
  fmt::print("conversions: {} orders worth ¥{:.2f} from followers, credited to their channels\n", orders.count,
             static_cast<double>(orders.cents) / 100);
  fmt::print("counts match what the simulator's users did: {}\n", matches ? "yes" : "NO");
}

void print_links(const std::vector<DemoChannel>& specs, const std::vector<domain::Channel>& channels,
                 ServiceRuntime& rt, const std::string& admin_token, const std::string& dir,
                 std::chrono::steady_clock::time_point started) {
  fmt::print("QR codes:\n");
  for (std::size_t i = 0; i < specs.size(); ++i) fmt::print("  {}  {}\n", specs[i].file, channels[i].url);
  fmt::print("dashboard: {}/ (admin token {}, also in {}/admin-token)   metrics: {}/metrics   ({:.1f} s in all)\n",
             rt.base_url(), admin_token, dir, rt.base_url(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  fmt::print("scan to log in: {}/examples/login\n", rt.base_url());
  std::fflush(stdout);
}

// --keep-running, until Ctrl-C.
void run_until_stopped(FakeClock& clock, const std::string& sim_base) {
  // From here on time flows as it does outside.
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (!done) {
      if (SystemClock::instance().unix_seconds() > clock.unix_seconds()) {
        clock.set_unix_seconds(SystemClock::instance().unix_seconds());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  fmt::print("running until Ctrl-C: the simulator's control API is at {}/sim/ (docs/simulator.md)\n", sim_base);
  std::fflush(stdout);
  (void)wait_for_stop();
  done = true;
  ticker.join();
}

int run_demo(const DemoSettings& s) {
  const auto started = std::chrono::steady_clock::now();
  if (!prepare_dir(s.dir)) return 2;
  if (s.keep_running) block_stop_signals();

  // The story spans the last six days: users arrive one after another (days of statistics, not one
  // burst), and a follower who unfollows and comes back does so seconds later, as people do — within
  // one second WeChat's dedup key (FromUserName + CreateTime + Event + EventKey) could not tell the
  // two follows apart.
  constexpr std::int64_t kSpanSeconds = 6 * 86'400;
  FakeClock clock(SystemClock::instance().unix_seconds() - kSpanSeconds);
  const auto arrival = std::chrono::seconds(std::max<std::int64_t>(1, (kSpanSeconds - 86'400) / s.users));
  SimulatedWeChat simulated(clock, s.seed);
  if (!simulated.start()) return 1;
  const std::string sim_base = simulated.base_url();

  config::Config c = demo_config(s, sim_base);
  const std::string admin_token = new_admin_token(s.dir);
  c.admin.token_sha256 = service::token_sha256(admin_token);
  net::CurlTransport transport;
  auto runtime = ServiceRuntime::start(c, clock, transport);
  if (!runtime) {
    fmt::print(stderr, "qrscene demo: {}\n", runtime.error().message);
    simulated.stop();
    return 1;
  }
  ServiceRuntime& rt = **runtime;
  add_demo_account(simulated.simulator, rt.base_url());
  fmt::print("qrscene demo: WeChat simulated on {}, qrscene serving on {}, data in {}/\n", sim_base, rt.base_url(),
             s.dir);
  const auto fail = [&](const std::string& message) {
    fmt::print(stderr, "qrscene demo: {}\n", message);
    rt.stop();
    simulated.stop();
    return 1;
  };

  auto specs = demo_channels();
  auto channels = create_channels(rt, specs, s.dir);
  if (!channels) return fail(channels.error().message);
  auto created = simulated.simulator.platform().create_users(kAppId, s.users);
  if (!created) return fail(created.error().message);
  const std::vector<sim::SimUser> users = std::move(*created);
  Tally tally = Crowd(s.seed, clock, simulated.simulator, specs, *channels, users, arrival).run();
  drain_jobs(rt, clock);
  const Orders orders = place_orders(rt, simulated.simulator, users, s.seed, clock);

  auto totals = rt.totals(kAppId);
  if (!totals) return fail(totals.error().message);
  const bool table_matches = print_channel_table(*totals, tally.expected);
  const bool matches = tally.failed == 0 && table_matches;
  print_summary(rt, tally, users.size(), orders, matches);
  auto campaign = run_campaign(rt, simulated.simulator, clock, s.seed);
  if (!campaign) return fail("the campaign: " + campaign.error().message);
  print_links(specs, *channels, rt, admin_token, s.dir, started);
  fmt::print("campaign: {}/#/campaigns/{}\n", rt.base_url(), campaign->id);

  if (s.keep_running) run_until_stopped(clock, sim_base);
  rt.stop();
  simulated.stop();
  return matches && campaign->matches ? 0 : 1;
}

}  // namespace

void configure_demo_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<DemoSettings>();
  cmd.add_option("--users", s->users, "virtual users sent through the codes")
      ->check(CLI::Range(1, 200'000))
      ->capture_default_str();
  cmd.add_option("--seed", s->seed, "seed of every random choice; the same seed gives the same table")
      ->capture_default_str();
  cmd.add_flag("--keep-running", s->keep_running, "keep the service and simulator up until Ctrl-C");
  cmd.add_option("--dir", s->dir, "where the database and the PNG files go")->capture_default_str();
  cmd.add_option("--port", s->port, "the service's port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  run = [s] { return run_demo(*s); };
}

}  // namespace qrscene::app
