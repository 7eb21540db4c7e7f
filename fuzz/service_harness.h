// What the HTTP fuzz targets drive: the service as `qrscene serve` assembles it (app::ServiceRuntime:
// the callback endpoint, the admin, follower and login APIs, the dashboard's files), on SQLite in a
// temp directory, with the simulator's routes standing in for WeChat (channel codes, tokens,
// profiles). Requests go through HttpServer::answer: the session code a TCP connection runs
// (parser, limits, deadlines, router, handlers) over a local socket pair, with no listening socket
// and no loopback TCP, so that a run does thousands of requests a second.
//
// The clock is fixed at kStart, so a seed signed for that time reaches the XML reader and the store.
// Every kRebuildEvery inputs the whole service is built afresh, so that what the inputs stored
// (channels, events, sessions) does not slow the run down as it grows.
//
// check_answers() is what every input must satisfy whatever it was: the bytes sent back are whole
// HTTP/1.1 responses, one after another, and none is a handler's exception (a 500 "internal
// error"): every bad request is refused by name.
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

#include "app/service_runtime.h"
#include "base/clock.h"
#include "net/asio.h"
#include "net/curl_transport.h"
#include "net/http_server.h"
#include "service/admin_gate.h"
#include "sim/simulator.h"

namespace qrscene::fuzz {

inline constexpr const char* kPlainApp = "wxfuzzplain000001";
inline constexpr const char* kSafeApp = "wxfuzzsafe0000002";
inline constexpr const char* kToken = "fuzztoken";
inline constexpr const char* kKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
inline constexpr const char* kAdminToken = "fuzz-admin-token-0123456789abcdef";
inline constexpr std::int64_t kStart = 1'714'010'400;  // 2024-04-25 10:00 Beijing
inline constexpr int kRebuildEvery = 10'000;

[[noreturn]] inline void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "FUZZ CHECK FAILED: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(std::min<std::size_t>(detail.size(), 4000)), detail.data());
  std::abort();
}

// WeChat for the service: the simulator's own routes, reached through HttpServer::answer rather than
// a socket (a call over loopback would be most of an input's time).
class SimTransport final : public wechat::HttpTransport {
 public:
  explicit SimTransport(net::HttpServer& sim) : sim_(sim) {}
  Result<wechat::HttpReply> send(const wechat::HttpCall& call) override {
    const auto scheme = call.url.find("://");
    const auto slash = call.url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: sim\r\nConnection: close\r\nContent-Length: {}\r\n",
                                      call.method, slash == std::string::npos ? "/" : call.url.substr(slash),
                                      call.body.size());
    for (const auto& [k, v] : call.headers) request += k + ": " + v + "\r\n";
    request += "\r\n" + call.body;
    const std::string out = sim_.answer(request);
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    parser.put(asio::buffer(out.data(), out.size()), ec);
    if (ec || !parser.is_done()) return unexpected(ErrorCode::kUnavailable, "the simulator's answer is not HTTP");
    const auto& res = parser.get();
    wechat::HttpReply reply;
    reply.status = res.result_int();
    reply.content_type = std::string(res[http::field::content_type]);
    reply.body = res.body();
    for (const auto& f : res) reply.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return reply;
  }

 private:
  net::HttpServer& sim_;
};

class Service {
 public:
  Service() {
    spdlog::set_level(spdlog::level::off);  // a log line per refused input would be most of the run
    dir_ = std::filesystem::temp_directory_path() / fmt::format("qrscene_fuzz_{}", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    sim::SimulatorOptions so;
    so.seed = 7;
    so.push_threads = 1;
    sim_ = std::make_unique<sim::Simulator>(clock_, sim_transport_, so, &clock_);
    net::Router router;
    sim_->add_routes(router);
    sim_server_ = std::make_unique<net::HttpServer>(sim_io_, net::HttpServerOptions{}, std::move(router));
    transport_ = std::make_unique<SimTransport>(*sim_server_);
    const std::string sim_base = "http://sim.invalid";  // reached through transport_, never a socket
    for (const auto& [appid, mode] : {std::pair{kPlainApp, sim::PushMode::kPlain}, std::pair{kSafeApp, sim::PushMode::kSafe}}) {
      sim::SimAccount a;
      a.appid = appid;
      a.secret = std::string(appid) + "-secret";
      a.token = kToken;
      a.mode = mode;
      if (mode != sim::PushMode::kPlain) a.encoding_aes_key = kKey;
      a.unionid = true;
      sim_->add_account(a);
    }

    config::Config c;
    c.wechat.api_base = sim_base;
    c.wechat.mp_base = sim_base;
    c.server.port = 0;
    c.server.threads = 1;
    c.store.path = (dir_ / "qrscene.db").string();
    c.store.durable = false;
    c.admin.token_sha256 = service::token_sha256(kAdminToken);
    c.admin.failures_per_minute = 1'000'000;  // the inputs all come from one address
    c.login.sessions_per_minute_per_ip = 10'000;
    config::AccountConfig plain;
    plain.appid = kPlainApp;
    plain.secret = Secret(std::string(kPlainApp) + "-secret");
    plain.token = kToken;
    c.accounts.push_back(plain);
    config::AccountConfig safe;
    safe.appid = kSafeApp;
    safe.secret = Secret(std::string(kSafeApp) + "-secret");
    safe.token = kToken;
    safe.mode = "safe";
    safe.encoding_aes_key = Secret(kKey);
    c.accounts.push_back(safe);
    auto rt = app::ServiceRuntime::start(c, clock_, *transport_, /*background=*/false);
    if (!rt) fail("the service did not start", rt.error().to_string());
    runtime_ = std::move(*rt);

    // Something for the routes that read a channel, a follower or a conversion to find.
    for (const char* name : {"地铁广告", "官网"}) {
      service::ChannelSpec spec;
      spec.appid = kPlainApp;
      spec.name = name;
      spec.owner = "小王";
      spec.tag = name;
      if (auto made = runtime_->channels().create(spec); !made) fail("no channel", made.error().to_string());
    }
  }

  ~Service() {
    runtime_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The one service of this process, built afresh every kRebuildEvery calls.
  static Service& get() {
    static std::unique_ptr<Service> service;
    static int calls = 0;
    if (!service || ++calls % kRebuildEvery == 0) {
      service.reset();
      service = std::make_unique<Service>();
    }
    return *service;
  }

  std::string answer(std::string_view bytes) { return runtime_->server().answer(bytes, "203.0.113.9"); }

 private:
  std::filesystem::path dir_;
  FakeClock clock_{kStart};
  net::CurlTransport sim_transport_;  // the simulator's pushes (none here: no simulated user acts)
  std::unique_ptr<sim::Simulator> sim_;
  asio::io_context sim_io_;  // never run: the simulator's server is not started
  std::unique_ptr<net::HttpServer> sim_server_;
  std::unique_ptr<SimTransport> transport_;
  std::unique_ptr<app::ServiceRuntime> runtime_;
};

// The statuses of the responses in `out`; fails unless it is whole HTTP/1.1 responses and nothing
// else, none of them a handler's exception.
inline std::vector<unsigned> check_answers(std::string_view out) {
  std::vector<unsigned> statuses;
  while (!out.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    beast::error_code ec;
    std::size_t n = 0;
    while (!ec && !parser.is_done() && n < out.size()) {
      const std::size_t used = parser.put(asio::buffer(out.data() + n, out.size() - n), ec);
      n += used;
      if (used == 0) break;
    }
    if (ec || !parser.is_done()) fail(fmt::format("the answer is not whole HTTP responses ({})", ec.message()), out);
    const auto& res = parser.get();
    if (res[http::field::server].empty()) fail("a response without the Server header", out);
    if (res.result_int() == 500 && res.body().find("internal error (request") != std::string::npos) {
      fail("a handler threw", out.substr(0, n));
    }
    statuses.push_back(res.result_int());
    out.remove_prefix(n);
  }
  return statuses;
}

}  // namespace qrscene::fuzz
