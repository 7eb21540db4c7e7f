#include "app/sim_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/clock.h"
#include "net/asio.h"
#include "net/curl_transport.h"
#include "net/http_server.h"
#include "sim/simulator.h"

namespace qrscene::app {
namespace {

struct SimSettings {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 9100;
  std::uint64_t seed = 0;
  std::string state_file;
  std::string accounts_file;
  bool fake_clock = false;
  std::int64_t fake_clock_start = 0;
  // The account given on the command line (the demo account by default).
  sim::SimAccount account;
  std::string mode = "plain";
  int threads = 2;
  sim::SimulatorOptions options;
};

Result<std::vector<sim::SimAccount>> read_accounts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return unexpected(ErrorCode::kNotFound, "--accounts: cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  auto j = nlohmann::json::parse(buf.str(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return unexpected(ErrorCode::kInvalidArgument, "--accounts: " + path + " must hold a JSON array of accounts");
  }
  std::vector<sim::SimAccount> out;
  std::string problems;
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto a = sim::account_from_json(j[i]);
    if (a) {
      out.push_back(std::move(*a));
    } else {
      problems += fmt::format("\n account #{}: {}", i + 1, a.error().message);
    }
  }
  if (!problems.empty()) return unexpected(ErrorCode::kInvalidArgument, "--accounts: " + path + problems);
  return out;
}

int run_sim(SimSettings& s) {
  nlohmann::json cli_account{{"appid", s.account.appid},
                             {"secret", s.account.secret},
                             {"token", s.account.token},
                             {"mode", s.mode},
                             {"callback_url", s.account.callback_url}};
  if (!s.account.encoding_aes_key.empty()) cli_account["encoding_aes_key"] = s.account.encoding_aes_key;
  if (!s.account.original_id.empty()) cli_account["original_id"] = s.account.original_id;
  std::vector<sim::SimAccount> accounts;
  if (!s.accounts_file.empty()) {
    auto list = read_accounts(s.accounts_file);
    if (!list) {
      fmt::print(stderr, "qrscene sim: {}\n", list.error().message);
      return 2;
    }
    accounts = std::move(*list);
  } else {
    auto a = sim::account_from_json(cli_account);
    if (!a) {
      fmt::print(stderr, "qrscene sim: {}\n", a.error().message);
      return 2;
    }
    accounts.push_back(std::move(*a));
  }

  std::unique_ptr<FakeClock> fake;
  const Clock* clock = &SystemClock::instance();
  if (s.fake_clock) {
    fake = std::make_unique<FakeClock>(s.fake_clock_start != 0 ? s.fake_clock_start : SystemClock::instance().unix_seconds());
    clock = fake.get();
  }
  s.options.seed = s.seed;
  net::CurlTransportOptions transport_options;
  transport_options.user_agent = "Mozilla/4.0";
  net::CurlTransport transport(transport_options);
  sim::Simulator simulator(*clock, transport, s.options, fake.get());
  if (!s.state_file.empty() && std::filesystem::exists(s.state_file)) {
    if (auto st = simulator.load(s.state_file); !st) {
      fmt::print(stderr, "qrscene sim: --state: {}\n", st.error().message);
      return 2;
    }
  }
  for (const auto& a : accounts) {
    if (!simulator.platform().account(a.appid)) simulator.add_account(a);
  }

  asio::io_context io;
  net::Router router;
  simulator.add_routes(router);
  net::HttpServerOptions http = sim::simulator_server_options();  // media/upload's 10 MB files
  http.address = s.listen;
  http.port = s.port;
  http.server_name = "nginx/1.4.1";  // what WeChat's hosts announce
  net::HttpServer server(io, http, std::move(router));
  if (auto st = server.start(); !st) {
    fmt::print(stderr, "qrscene sim: {} (choose another --port or --listen)\n", st.error().message);
    return 2;
  }
  fmt::print("qrscene sim: WeChat API, image host and control API on http://{}:{} (seed {})\n", s.listen,
             server.port(), simulator.rng().seed());
  for (const auto& a : simulator.platform().accounts()) {
    fmt::print("  account {} ({}), {} mode, pushes to {}\n", a.appid, a.original_id, sim::to_string(a.mode),
               a.callback_url.empty() ? "nowhere (no --callback)" : a.callback_url);
  }
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) server.stop();
  });
  std::vector<std::thread> threads;
  for (int i = 1; i < s.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  if (!s.state_file.empty()) {
    if (auto st = simulator.save(s.state_file); !st) {
      fmt::print(stderr, "qrscene sim: could not save the state: {}\n", st.error().message);
      return 1;
    }
    fmt::print("qrscene sim: state saved to {}\n", s.state_file);
  }
  return 0;
}

}  // namespace

void configure_sim_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<SimSettings>();
  s->account.appid = "wx0a1b2c3d4e5f6789";
  s->account.secret = "qrscene-demo-secret-0123456789ab";
  s->account.token = "qrscenedemo";
  cmd.add_option("--listen", s->listen, "address to listen on (loopback by default)")->capture_default_str();
  cmd.add_option("--port", s->port, "port (0: any free port)")->capture_default_str();
  cmd.add_option("--seed", s->seed, "seed for every random value (0: from the OS); the same seed replays a run");
  cmd.add_option("--state", s->state_file, "JSON file to resume from (when it exists) and save to on exit");
  cmd.add_option("--threads", s->threads, "I/O threads")->check(CLI::Range(1, 64))->capture_default_str();
  auto* fake = cmd.add_flag("--fake-clock", s->fake_clock, "time stands still; POST /sim/clock moves it");
  cmd.add_option("--fake-clock-start", s->fake_clock_start, "Unix time the fake clock starts at (default: now)")
      ->needs(fake);

  auto* accounts = cmd.add_option("--accounts", s->accounts_file, "JSON array of accounts (see docs/simulator.md)")
                       ->check(CLI::ExistingFile);
  auto* group = cmd.add_option_group("account", "one account from the command line (instead of --accounts)");
  group->add_option("--appid", s->account.appid, "AppID")->capture_default_str();
  group->add_option("--secret", s->account.secret, "AppSecret")->capture_default_str();
  group->add_option("--original-id", s->account.original_id, "original id gh_… (default: derived from the AppID)");
  group->add_option("--token", s->account.token, "callback Token (3–32 letters and digits)")->capture_default_str();
  group->add_option("--aes-key", s->account.encoding_aes_key, "EncodingAESKey (43 characters; compatible/safe mode)");
  group->add_option("--mode", s->mode, "push mode")->check(CLI::IsMember({"plain", "compatible", "safe"}))->capture_default_str();
  group->add_option("--callback", s->account.callback_url, "callback URL pushes go to");
  group->excludes(accounts);

  auto& o = s->options;
  cmd.add_option("--push-timeout-ms", o.push.timeout, "how long WeChat waits for an answer")->capture_default_str();
  cmd.add_option("--push-attempts", o.push.attempts, "tries per push in all (\"retries three times\": 3 or 4)")
      ->check(CLI::Range(1, 10))->capture_default_str();
  cmd.add_option("--push-log", o.push_log_limit, "push records kept for GET …/pushes (older ones are dropped)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  cmd.add_option("--push-retry-delay-ms", o.push.retry_delay,
                 "pause before each retry after a refused connection or a non-200 answer")
      ->capture_default_str();
  cmd.add_flag("--resign-retries", o.push.resign_retries, "retries get a new timestamp, nonce and signature");
  cmd.add_option("--markfail-failures", o.push.markfail_failures,
                 "MarkFail: after this many failed tries to a callback URL within the window, nothing is pushed "
                 "to it for a while (not documented; 0: never)")
      ->check(CLI::Range(0, 1'000'000))->capture_default_str();
  cmd.add_option("--markfail-window-seconds", o.push.markfail_window, "MarkFail: the window the failures are counted in")
      ->capture_default_str();
  cmd.add_option("--markfail-seconds", o.push.markfail_pause, "MarkFail: how long nothing is pushed (a minute)")
      ->capture_default_str();
  cmd.add_option("--qr-default-expire", o.platform.qr_default_expire_seconds,
                 "expire_seconds when a temporary code omits it (60 now, 30 in older docs)")->capture_default_str();
  cmd.add_flag("--qr-expire-error", o.platform.qr_expire_out_of_range_is_error,
               "expire_seconds out of range is an error (default: clamped)");
  cmd.add_option("--permanent-quota", o.platform.qr_permanent_quota, "permanent codes per account")->capture_default_str();
  cmd.add_option("--permanent-quota-errcode", o.platform.qr_quota_errcode, "errcode past the quota (45029 or 40053)")
      ->capture_default_str();
  auto* distinct = cmd.add_flag("!--permanent-new-ticket", o.platform.qr_permanent_idempotent,
                                "creating a permanent scene again makes a new ticket (default: the same)");
  (void)distinct;
  cmd.add_flag("!--signed-scene-ids", o.platform.qr_scene_id_unsigned,
               "temporary scene_id at most 2^31-1 (default: 2^32-1)");
  cmd.add_option("--kf-quota", o.platform.kf_user_message_quota, "customer-service messages per 48 h (5 now, 20 in 2021)")
      ->capture_default_str();
  cmd.add_flag("--tag-name-bytes", o.platform.tag_name_limit_in_bytes, "tag names limited to 30 bytes, not characters");
  cmd.add_option("--media-expired-errcode", o.platform.media_expired_errcode,
                 "errcode for a temporary media_id past its 3 days (40007, or 46001)")
      ->check(CLI::IsMember({40007, 46001}))->capture_default_str();
  cmd.add_option("--media-oversize-errcode", o.platform.media_oversize_errcode,
                 "errcode for a file over its type's limit (40006 seen, or 45001)")
      ->check(CLI::IsMember({40006, 45001}))->capture_default_str();
  cmd.add_option("--media-image-max-bytes", o.platform.media_image_max_bytes,
                 "largest temporary image (10 MB; 2 MB in older docs)")
      ->check(CLI::Range(std::size_t{1}, sim::kSimulatorBodyLimit - 4096))->capture_default_str();
  cmd.add_flag("!--media-no-bmp", o.platform.media_image_bmp, "refuse bmp images (temporary-media docs list png/jpeg/jpg/gif)");
  cmd.add_flag("!--media-thumb-answers-media-id", o.platform.media_thumb_media_id,
               "a thumb upload answers media_id (default: thumb_media_id, as seen)");
  cmd.add_option("--template-client-msg-id-seconds", o.platform.template_client_msg_id_seconds,
                 "how long a repeated openid + client_msg_id answers the first msgid (docs: 10 minutes)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{7 * 24 * 3600}))->capture_default_str();
  cmd.add_flag("--template-legacy-display", o.platform.template_legacy_display,
               "template recipients see first, remark and whole values, as before 2023-05-04");
  cmd.add_option("--whitelist-errcode", o.tokens.whitelist_errcode, "40164 (observed) or 61004 (2025 guide)")
      ->check(CLI::IsMember({40164, 61004}))->capture_default_str();
  cmd.add_option("--wrong-secret-errcode", o.tokens.wrong_secret_errcode, "40125 (current) or 40001 (older docs)")
      ->check(CLI::IsMember({40125, 40001}))->capture_default_str();
  cmd.add_flag("--forced-refresh-grace", o.tokens.forced_refresh_grace,
               "a forced stable_token refresh leaves the old token 5 more minutes");
  cmd.add_option("--token-lifetime", o.tokens.lifetime, "access_token lifetime in seconds")->capture_default_str();

  run = [s] { return run_sim(*s); };
}

}  // namespace qrscene::app
