#include "net/curl_transport.h"

#include <gtest/gtest.h>

#include <thread>

#include "net/http_server.h"

namespace qrscene::net {
namespace {

using namespace std::chrono_literals;

// A real HTTP server on 127.0.0.1:0 standing in for WeChat's hosts.
class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Router router;
    router.add("GET", "/cgi-bin/token", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::json(200, R"({"access_token":"T-)" + r.query_param("appid") + R"(","expires_in":7200})");
    });
    router.add("POST", "/echo", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      HttpResponse res = HttpResponse::text(200, r.body);
      res.headers.emplace_back("X-Seen-Type", std::string(r.header("Content-Type")));
      res.headers.emplace_back("X-Seen-Custom", std::string(r.header("X-Custom")));
      co_return res;
    });
    router.add("GET", "/showqrcode", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(404, "");
    });
    router.add("GET", "/big", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, std::string(4096, 'x'));
    });
    router.add("GET", "/slow", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      asio::steady_timer t(co_await asio::this_coro::executor, 500ms);
      co_await t.async_wait(asio::use_awaitable);
      co_return HttpResponse::text(200, "late");
    });
    server_ = std::make_unique<HttpServer>(io_, HttpServerOptions{}, std::move(router));
    ASSERT_TRUE(server_->start());
    thread_ = std::thread([this] { io_.run(); });
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }

  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::string base_;
};

TEST_F(CurlTransportTest, GetReturnsStatusBodyAndHeaders) {
  CurlTransport t;
  auto r = t.send({"GET", base_ + "/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s", {}, {}, 2s});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, R"({"access_token":"T-wx1","expires_in":7200})");
  EXPECT_EQ(r->content_type, "application/json; charset=utf-8");
  EXPECT_EQ(r->header("server"), "qrscene");
}

TEST_F(CurlTransportTest, PostSendsBodyAndHeaders) {
  CurlTransport t;
  auto r = t.send({"POST", base_ + "/echo", {{"Content-Type", "application/json"}, {"X-Custom", "7"}}, R"({"a":1})", 2s});
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_EQ(r->header("X-Seen-Type"), "application/json");
  EXPECT_EQ(r->header("X-Seen-Custom"), "7");
  // Without headers a POST is JSON (what every WeChat API takes).
  auto d = t.send({"POST", base_ + "/echo", {}, "{}", 2s});
  EXPECT_EQ(d->header("X-Seen-Type"), "application/json; charset=utf-8");
}

TEST_F(CurlTransportTest, AnyHttpStatusIsAReplyNotAnError) {
  CurlTransport t;
  auto r = t.send({"GET", base_ + "/showqrcode?ticket=x", {}, {}, 2s});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
}

TEST_F(CurlTransportTest, ReusesConnections) {
  CurlTransport t;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.send({"GET", base_ + "/cgi-bin/token?appid=a", {}, {}, 2s}));
  EXPECT_EQ(server_->active_connections(), 1u);  // one kept-alive connection served all five
}

TEST_F(CurlTransportTest, TimeoutIsDeadlineExceededAndNamesTheCallWithoutSecrets) {
  CurlTransport t;
  auto r = t.send({"GET", base_ + "/slow?access_token=SECRET123", {}, {}, 100ms});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("/slow?access_token=***"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("SECRET123"), std::string::npos);
}

TEST_F(CurlTransportTest, RefusedConnectionIsUnavailable) {
  CurlTransport t;
  // Bind and release a port so that nothing listens on it.
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = a.local_endpoint().port();
  a.close();
  auto r = t.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, {}, 2s});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST_F(CurlTransportTest, ReplyOverTheCapIsTooLarge) {
  CurlTransportOptions o;
  o.max_response_bytes = 1024;
  CurlTransport t(o);
  auto r = t.send({"GET", base_ + "/big", {}, {}, 2s});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  // The same transport still works for a small reply afterwards.
  EXPECT_TRUE(t.send({"GET", base_ + "/cgi-bin/token?appid=a", {}, {}, 2s}));
}

TEST_F(CurlTransportTest, BadUrlsAndSchemesAreInvalidArguments) {
  CurlTransport t;
  EXPECT_EQ(t.send({"GET", "file:///etc/passwd", {}, {}, 1s}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.send({"GET", "ht!tp://x", {}, {}, 1s}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(t.send({"BREW", base_ + "/", {}, {}, 1s}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CurlTransportTest, ConcurrentCallsFromManyThreads) {
  CurlTransport t;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 10; ++k) {
        auto r = t.send({"GET", base_ + "/cgi-bin/token?appid=t" + std::to_string(i), {}, {}, 2s});
        if (r && r->body.find("T-t" + std::to_string(i)) != std::string::npos) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
}

}  // namespace
}  // namespace qrscene::net
