// The fixture the service's integration tests share: the simulator on its own HTTP server (with a
// webhook receiver beside it), and the service assembled as `qrscene serve` assembles it
// (app::ServiceRuntime), both on a fake clock, with helpers for raw pushes and the admin API.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "app/service_runtime.h"
#include "base/encoding.h"
#include "net/asio.h"
#include "net/curl_transport.h"
#include "net/http_server.h"
#include "qr/qr_code.h"
#include "service/admin_gate.h"
#include "service/job_runner.h"
#include "sim/simulator.h"
#include "wechat/msg_crypt.h"
#include "wechat/signature.h"

namespace qrscene {


constexpr const char* kPlainApp = "wxserviceplain001";
constexpr const char* kSafeApp = "wxservicesafe0002";
constexpr const char* kToken = "servicetoken";
constexpr const char* kKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr const char* kNewKey = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj";
constexpr std::int64_t kStart = 1'714'010'400;  // 2024-04-25 10:00 Beijing
constexpr const char* kAdminToken = "admin-token-for-tests-0123456789";

// A signed plaintext subscribe push from `openid`, straight to an endpoint's POST handler (no
// socket): the handler runs on an io_context of its own until nothing is left to do. Returns
// the response, or none when io_context::run() returned without one.
inline std::optional<net::HttpResponse> push_to(service::CallbackEndpoint& endpoint, const std::string& openid) {
  net::Router router;
  endpoint.add_routes(router);
  net::HttpRequest request;
  request.method = "POST";
  request.path = std::string("/wechat/") + kPlainApp;
  const std::string ts = std::to_string(kStart);
  request.query = fmt::format("signature={}&timestamp={}&nonce=42&openid={}", wechat::compute_signature(kToken, ts, "42"),
                              ts, openid);
  request.target = request.path + "?" + request.query;
  request.body = fmt::format(
      "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{}]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
      "<EventKey><![CDATA[]]></EventKey></xml>",
      openid, kStart);
  unsigned status = 0;
  std::string allow;
  const net::Handler* handler = router.match(request, status, allow);
  if (handler == nullptr) return std::nullopt;
  asio::io_context io;
  std::optional<net::HttpResponse> response;
  asio::co_spawn(io, (*handler)(request), [&response](std::exception_ptr e, net::HttpResponse r) {
    if (!e) response = std::move(r);
  });
  io.run();
  return response;
}

class ServiceSimTest : public ::testing::Test {
 protected:
  ServiceSimTest() {
    dir_ = std::filesystem::temp_directory_path() / fmt::format("qrscene_service_{}_{}", ::getpid(), counter_++);
    std::filesystem::create_directories(dir_);
    sim::SimulatorOptions so;
    so.seed = 5;
    so.push_threads = 4;
    sim_ = std::make_unique<sim::Simulator>(clock_, sim_transport_, so, &clock_);
    net::Router router;
    sim_->add_routes(router);
    // The webhook receiver lives beside the simulator.
    router.add("POST", "/hook", [this](net::HttpRequest& r) -> asio::awaitable<net::HttpResponse> {
      std::lock_guard lock(hook_mu_);
      hooks_.push_back({std::string(r.header("X-Qrscene-Timestamp")), std::string(r.header("X-Qrscene-Signature")),
                        r.body});
      co_return net::HttpResponse::text(hook_status_, "");
    });
    sim_server_ = std::make_unique<net::HttpServer>(sim_io_, net::HttpServerOptions{}, std::move(router));
    EXPECT_TRUE(sim_server_->start());
    sim_thread_ = std::thread([this] { sim_io_.run(); });
    sim_base_ = fmt::format("http://127.0.0.1:{}", sim_server_->port());
  }
  ~ServiceSimTest() override {
    runtime_.reset();
    sim_server_->stop();
    sim_thread_.join();
    std::filesystem::remove_all(dir_);
  }

  config::Config config() const {
    config::Config c;
    c.wechat.api_base = sim_base_;
    c.wechat.mp_base = sim_base_;
    c.server.port = 0;
    c.store.path = (dir_ / "qrscene.db").string();
    c.store.durable = false;
    c.replies.organic_subscribe = "感谢关注";
    c.jobs.webhook_url = sim_base_ + "/hook";
    c.jobs.webhook_secret = Secret("hook-secret");
    config::AccountConfig plain;
    plain.appid = kPlainApp;
    plain.secret = Secret("plain-secret");
    plain.token = kToken;
    plain.original_id = "gh_plain000001";
    c.accounts.push_back(plain);
    config::AccountConfig safe;
    safe.appid = kSafeApp;
    safe.secret = Secret("safe-secret");
    safe.token = kToken;
    safe.mode = "safe";
    safe.encoding_aes_key = Secret(kNewKey);
    safe.previous_encoding_aes_key = Secret(kKey);
    safe.previous_key_until = kStart + 3600;
    c.accounts.push_back(safe);
    c.admin.token_sha256 = service::token_sha256(kAdminToken);
    return c;
  }

  void start(const config::Config& c, sim::PushMode plain_mode = sim::PushMode::kPlain) {
    auto rt = app::ServiceRuntime::start(c, clock_, transport_, /*background=*/false);
    ASSERT_TRUE(rt) << rt.error().to_string();
    runtime_ = std::move(*rt);
    sim::SimAccount plain;
    plain.appid = kPlainApp;
    plain.secret = "plain-secret";
    plain.token = kToken;
    plain.original_id = "gh_plain000001";
    plain.mode = plain_mode;
    plain.unionid = unionid_;
    if (plain_mode != sim::PushMode::kPlain) plain.encoding_aes_key = kKey;
    plain.callback_url = runtime_->base_url() + "/wechat/" + kPlainApp;
    sim_->add_account(plain);
    sim::SimAccount safe;
    safe.appid = kSafeApp;
    safe.secret = "safe-secret";
    safe.token = kToken;
    safe.mode = sim::PushMode::kSafe;
    safe.encoding_aes_key = kKey;  // WeChat still on the old key
    safe.callback_url = runtime_->base_url() + "/wechat/" + kSafeApp;
    sim_->add_account(safe);
  }

  domain::Channel channel(std::string name, domain::ChannelKind kind = domain::ChannelKind::kPermanent,
                          std::string tag = "", std::string appid = kPlainApp) {
    service::ChannelSpec spec;
    spec.appid = std::move(appid);
    spec.name = std::move(name);
    spec.kind = kind;
    spec.owner = "小王";
    spec.tag = std::move(tag);
    spec.on_subscribe.kind = domain::ReplyChoice::Kind::kText;
    spec.on_subscribe.text = "欢迎来自{channel}的朋友";
    spec.on_scan.kind = domain::ReplyChoice::Kind::kText;
    spec.on_scan.text = "又见面了 {owner}";
    auto made = runtime_->channels().create(spec);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? *made : domain::Channel{};
  }

  std::string user(const char* appid = kPlainApp) { return sim_->platform().create_users(appid, 1)->at(0).openid; }

  sim::PushRecord act(Result<sim::Action> action) {
    auto r = sim_->act(std::move(action));
    EXPECT_TRUE(r) << (r ? "" : r.error().to_string());
    return r ? *r : sim::PushRecord{};
  }

  domain::Counters totals(std::int64_t channel_id) { return *runtime_->store().channel_counters(channel_id, 0, 1 << 30); }

  // A raw POST to the service, signed (or not) as the test says.
  Result<wechat::HttpReply> post(const std::string& path, const std::string& query, std::string body) {
    wechat::HttpCall call;
    call.method = "POST";
    call.url = runtime_->base_url() + path + "?" + query;
    call.body = std::move(body);
    return transport_.send(call);
  }
  std::string signed_query(std::int64_t ts, std::string nonce = "n1") const {
    return fmt::format("signature={}&timestamp={}&nonce={}&openid=o1",
                       wechat::compute_signature(kToken, std::to_string(ts), nonce), ts, nonce);
  }

  // A call to the admin API (with the configured token unless told otherwise).
  Result<wechat::HttpReply> api(const std::string& method, const std::string& path, std::string body = "",
                                std::string token = kAdminToken, std::string type = "application/json") {
    wechat::HttpCall call;
    call.method = method;
    call.url = runtime_->base_url() + path;
    call.body = std::move(body);
    if (!token.empty()) call.headers.emplace_back("Authorization", "Bearer " + token);
    if (!call.body.empty()) call.headers.emplace_back("Content-Type", type);
    return transport_.send(call);
  }
  nlohmann::json api_json(const std::string& method, const std::string& path, std::string body = "",
                          unsigned expect = 200) {
    auto r = api(method, path, std::move(body));
    EXPECT_TRUE(r) << r.error().to_string();
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << method << " " << path << ": " << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  struct Hook {
    std::string timestamp, signature, body;
  };

  bool unionid_ = false;  // the plain account is bound to an Open Platform account (users have unionids)
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  FakeClock clock_{kStart};
  net::CurlTransport sim_transport_;
  net::CurlTransport transport_;
  std::unique_ptr<sim::Simulator> sim_;
  asio::io_context sim_io_;
  std::unique_ptr<net::HttpServer> sim_server_;
  std::thread sim_thread_;
  std::string sim_base_;
  std::unique_ptr<app::ServiceRuntime> runtime_;
  std::mutex hook_mu_;
  std::vector<Hook> hooks_;
  unsigned hook_status_ = 200;
};

}  // namespace qrscene
