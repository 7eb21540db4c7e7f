// Simulator: `qrscene sim` — the WeChat API host, the QR image host and the control API of the
// virtual users, on one HTTP server (docs/simulator.md documents every route and setting).
//
// API host (wechat-protocol.md sections 0–2, 7–9): /cgi-bin/token, /cgi-bin/stable_token,
// /cgi-bin/qrcode/create, user, tags, menu, message/custom/send, media/upload and media/get,
// message/template/send, /datacube/…, clear_quota. Every error is HTTP 200 with
// {"errcode","errmsg"}, errmsg ending in " rid: …"; a wrong verb is 43001/43002, an empty body
// 44002, a body that is not JSON 47001 (media/upload reads its multipart body itself).
// Image host: GET /cgi-bin/showqrcode?ticket=… → a real 430×430 JPEG of the ticket's url with the
// headers of section 2.3, or a bare 404.
// Control API (/sim/…): accounts, users and their actions (scan a ticket, a url or an image;
// follow, unfollow, click, view, location, text), what users received, the account's templates
// and media files, the push log, the load mode, the clock (when it is a FakeClock) and saving
// the state. Actions are pushed before the call returns, so the answer says what the user saw;
// a template send's TEMPLATESENDJOBFINISH is pushed after its answer, on the thread pool.
//
// Blocking work (pushes, image rendering) runs on the simulator's own thread pool, never on the
// server's I/O threads. Thread safety: all public methods may be called concurrently.
//
// simulator.cpp adds the token routes and the image host; each WeChat area adds its API host
// routes from its Platform file (api_host.h), and control_api.cpp adds the control API.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "net/http_server.h"
#include "sim/account.h"
#include "sim/platform.h"
#include "sim/push_engine.h"
#include "sim/rng.h"
#include "sim/token_authority.h"
#include "wechat/http_transport.h"

namespace qrscene::sim {

// The HTTP server options a simulator's server needs beyond the defaults: media/upload takes
// files of up to 10 MB, so bodies up to 20 MB are read (a bigger one is refused 413 by the server).
inline constexpr std::size_t kSimulatorBodyLimit = 20 * 1024 * 1024;
[[nodiscard]] inline net::HttpServerOptions simulator_server_options() {
  net::HttpServerOptions o;
  o.body_limit = kSimulatorBodyLimit;
  return o;
}

struct SimulatorOptions {
  std::uint64_t seed = 0;  // 0: seeded from the OS
  TokenAuthorityOptions tokens;
  PlatformOptions platform;
  PushOptions push;
  int image_size = 430;
  int push_threads = 8;
  std::size_t push_log_limit = 100'000;  // older records are dropped
};

// A fault the API host (and the image host) answers with instead of the real answer, for the
// tests of what qrscene does when WeChat misbehaves: an errcode (-1 system busy, 45009 quota, a
// storm of 40001…), an HTTP status, a body that is not JSON, or a delay before the answer.
struct ApiFault {
  std::string path;         // "/cgi-bin/…" or "/cgi-bin/showqrcode"; "" hits every API path
  int errcode = 0;          // answered as WeChat's JSON error
  unsigned status = 0;      // an HTTP status with an HTML body instead
  bool malformed = false;   // HTTP 200 with a truncated JSON body
  std::int64_t delay_ms = 0;  // before answering (alone: the real answer, late)
  std::int64_t times = 1;   // calls it hits; -1: until cleared
  std::int64_t hits = 0;    // calls it has hit
};

// One action of a virtual user and what came of it.
struct PushRecord {
  std::uint64_t seq = 0;
  Action action;
  Delivery delivery;
};

struct LoadOptions {
  std::string appid;
  int users = 100;                 // virtual users taking part (created for the run)
  std::int64_t actions = 1'000;    // how many actions in all
  double rate = 100;               // actions per second (0: as fast as possible)
  double zipf = 1.0;               // skew over the tickets: 0 uniform, 1 classic Zipf
  double follow_probability = 0.6;   // a non-follower who scans follows
  double unfollow_probability = 0.05;  // a follower's action is an unfollow
  std::vector<std::string> tickets;  // default: every live ticket of the account
  int threads = 4;
  double max_seconds = 300;        // stop after this long whatever is left
  // A template send at the same time: TEMPLATESENDJOBFINISH pushes to followers (made for the run,
  // following already), at template_rate a second on template_threads of their own.
  std::int64_t template_pushes = 0;
  double template_rate = 0;        // 0: as fast as possible
  int template_threads = 8;
  int template_followers = 30'000;  // the send's recipients (each gets one push per round)
};

struct LoadReport {
  std::int64_t actions = 0;
  std::int64_t pushes_sent = 0;   // actions that made WeChat push
  std::int64_t answered = 0;      // a reply or success
  std::int64_t retried = 0;       // needed more than one try
  std::int64_t failed = 0;        // no answer, or a reply WeChat rejects
  std::map<std::string, std::int64_t> by_event;
  double seconds = 0;
  std::int64_t template_pushes = 0;   // of pushes_sent, the template send's reports
  std::int64_t markfailed = 0;        // pushes lost to MarkFail (counted in failed too)
  std::int64_t slowest_ms = 0;        // the longest a single try waited for its answer
  std::int64_t over_5s = 0;           // tries that got no answer within 5 s
};

[[nodiscard]] Json to_json(const LoadReport& report);

// Reads an account from the JSON of POST /sim/accounts (and the --accounts file), checking every
// field: each problem is listed in the error.
[[nodiscard]] Result<SimAccount> account_from_json(const Json& j);

class Simulator {
 public:
  // `fake_clock`, when given, must be `clock` itself: it lets POST /sim/clock move time.
  Simulator(const Clock& clock, wechat::HttpTransport& transport, SimulatorOptions options = {},
            FakeClock* fake_clock = nullptr);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  void add_account(const SimAccount& account);

  // Adds every route (API host, image host, control API) to `router`.
  void add_routes(net::Router& router);

  // Applies an action and delivers its push; blocking.
  [[nodiscard]] Result<PushRecord> act(Result<Action> action);
  // Delivers a push (as act) on the thread pool, without waiting: WeChat's reports that follow
  // an API call's answer (TEMPLATESENDJOBFINISH). It shows in pushes() once delivered.
  void push_later(Action action);
  [[nodiscard]] std::vector<PushRecord> pushes(std::string_view appid, std::uint64_t since = 0) const;
  // Runs the load mode; blocking, bounded by options.max_seconds.
  [[nodiscard]] Result<LoadReport> run_load(const LoadOptions& options);
  // The JPEG of a ticket's url (cached), or kNotFound.
  [[nodiscard]] Result<std::string> image(std::string_view ticket);

  [[nodiscard]] Status save(const std::string& path) const;
  [[nodiscard]] Status load(const std::string& path);

  // Faults, first added first used; a fault hits the calls to its path until `times` is used up.
  void add_fault(ApiFault fault);
  void clear_faults();
  [[nodiscard]] std::vector<ApiFault> faults() const;

  Platform& platform() noexcept { return platform_; }
  TokenAuthority& tokens() noexcept { return tokens_; }
  PushEngine& push_engine() noexcept { return push_; }
  Rng& rng() noexcept { return rng_; }

 private:
  struct Pool;  // the thread pool for blocking work, defined in api_host.h

  const Clock& clock_;
  FakeClock* fake_clock_;
  SimulatorOptions options_;
  Rng rng_;
  TokenAuthority tokens_;
  Platform platform_;
  PushEngine push_;
  std::unique_ptr<Pool> pool_;
  // The fault for a call to `path`, counted as hit, if one applies.
  std::optional<ApiFault> take_fault(std::string_view path);
  // The control API (/sim/…), in control_api.cpp; add_routes adds it last.
  void add_control_routes(net::Router& router);

  mutable std::mutex mu_;
  std::vector<ApiFault> faults_;  // under mu_
  std::deque<PushRecord> log_;
  std::uint64_t next_seq_ = 1;
  std::map<std::string, std::string, std::less<>> images_;
};

}  // namespace qrscene::sim
