#include "net/http_server.h"

#include <gtest/gtest.h>

#include <thread>

namespace qrscene::net {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    Router router;
    router.add("GET", "/hello/{name}", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, "hello " + std::string(r.path_param("name")) + " " + r.query_param("x"));
    });
    router.add("POST", "/echo", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, r.body);
    });
    router.add("PUT", "/echo", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(201, r.body);
    });
    router.add("GET", "/id", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, r.request_id);
    });
    router.add("GET", "/has", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, std::string(r.has_query_param("echostr") ? "yes" : "no") + " " +
                                            (r.has_query_param("nonce") ? "yes" : "no"));
    });
    router.add("GET", "/throw", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      throw std::runtime_error("boom");
      co_return HttpResponse{};
    });
    router.add("GET", "/slow", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      asio::steady_timer t(co_await asio::this_coro::executor, 300ms);
      co_await t.async_wait(asio::use_awaitable);
      co_return HttpResponse::text(200, "done");
    });
    router.add("GET", "/stream", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [](ResponseStream& out) -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
          asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
          co_await t.async_wait(asio::use_awaitable);
          if (!co_await out.write("data: " + std::to_string(i) + "\n\n")) co_return;
        }
      };
      co_return r;
    });
    server_ = std::make_unique<HttpServer>(io_, options, std::move(router));
    ASSERT_TRUE(server_->start());
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  tcp::socket connect() {
    tcp::socket s(client_io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Sends raw bytes and reads one response (or nothing, if the server closes first).
  std::optional<http::response<http::string_body>> roundtrip(tcp::socket& s, std::string_view raw) {
    asio::write(s, asio::buffer(raw));
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(s, client_buffer_, res, ec);
    if (ec) return std::nullopt;
    return res;
  }

  std::optional<http::response<http::string_body>> once(std::string_view raw) {
    tcp::socket s = connect();
    return roundtrip(s, raw);
  }

  asio::io_context io_;
  asio::io_context client_io_;
  beast::flat_buffer client_buffer_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, RoutesWithPathAndQueryParameters) {
  start();
  auto res = once("GET /hello/w%C3%BCrld?x=a+b%26c HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "hello würld a b&c");
  EXPECT_EQ(res->at(http::field::server), "qrscene");
}

TEST_F(HttpServerTest, QueryParameterPresenceIsSeparateFromItsValue) {
  start();
  EXPECT_EQ(once("GET /has?echostr=&signature=x HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "yes no");
  EXPECT_EQ(once("GET /has?echostrx=1 HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "no no");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  EXPECT_EQ(once("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")->result_int(), 404u);
  auto res = once("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 405u);
  EXPECT_EQ(res->at(http::field::allow), "POST, PUT");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  tcp::socket s = connect();
  for (int i = 0; i < 3; ++i) {
    const std::string body = "n" + std::to_string(i);
    auto res = roundtrip(s, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n" + body);
    ASSERT_TRUE(res) << i;
    EXPECT_EQ(res->body(), body);
    EXPECT_TRUE(res->keep_alive());
  }
}

// A streamed response arrives chunked, piece by piece, and the connection closes after it.
TEST_F(HttpServerTest, AStreamedResponseIsSentChunkedAsItIsProduced) {
  start();
  tcp::socket s = connect();
  asio::write(s, asio::buffer(std::string_view("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")));
  http::response_parser<http::string_body> parser;
  beast::error_code ec;
  http::read_header(s, client_buffer_, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.chunked());
  EXPECT_EQ(parser.get()[http::field::content_type], "text/event-stream");
  EXPECT_FALSE(parser.get().has_content_length());
  http::read(s, client_buffer_, parser, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.get().body(), "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  EXPECT_FALSE(parser.get().keep_alive());
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  HttpServerOptions o;
  o.body_limit = 100;
  start(o);
  auto res = once("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'x'));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413u);
  auto ok = once("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result_int(), 200u);
  // Chunked bodies are counted too.
  auto chunked = once("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" +
                      std::string(101, 'x') + "\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->result_int(), 413u);
}

TEST_F(HttpServerTest, HeaderFloodIs431) {
  HttpServerOptions o;
  o.header_limit = 1024;
  start(o);
  std::string flood = "GET /id HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 100; ++i) flood += "X-Flood-" + std::to_string(i) + ": aaaaaaaaaaaaaaaa\r\n";
  flood += "\r\n";
  auto res = once(flood);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431u);
}

TEST_F(HttpServerTest, AmbiguousFramingIsRefused) {
  start();
  // Request smuggling: both Content-Length and Transfer-Encoding.
  auto both = once("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "0\r\n\r\n");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->result_int(), 400u);
  auto two_lengths = once("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  ASSERT_TRUE(two_lengths);
  EXPECT_EQ(two_lengths->result_int(), 400u);
  auto garbage = once("HELLO\r\n\r\n");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->result_int(), 400u);
}

TEST_F(HttpServerTest, SlowlorisIsCutOffWithoutAnAnswer) {
  HttpServerOptions o;
  o.read_timeout = 200ms;
  start(o);
  tcp::socket s = connect();
  asio::write(s, asio::buffer(std::string_view("GET /id HTTP/1.1\r\nHost: t\r\n")));
  std::this_thread::sleep_for(100ms);
  asio::write(s, asio::buffer(std::string_view("X-A: 1\r\n")));  // still trickling...
  std::array<char, 64> buf{};
  beast::error_code ec;
  const auto n = s.read_some(asio::buffer(buf), ec);  // ...and the server hangs up
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(HttpServerTest, RequestIdIsEchoedWhenSaneAndGeneratedOtherwise) {
  start();
  auto given = once("GET /id HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc-123\r\n\r\n");
  EXPECT_EQ(given->body(), "abc-123");
  EXPECT_EQ(given->at("X-Request-Id"), "abc-123");
  auto evil = once("GET /id HTTP/1.1\r\nHost: t\r\nX-Request-Id: a b<script>\r\n\r\n");
  EXPECT_EQ(evil->body().size(), 16u);
  EXPECT_EQ(evil->body().find('<'), std::string::npos);
}

TEST_F(HttpServerTest, HandlerExceptionIs500WithoutDetails) {
  start();
  auto res = once("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500u);
  EXPECT_EQ(res->body().find("boom"), std::string::npos);
  EXPECT_NE(res->body().find("internal"), std::string::npos);
}

TEST_F(HttpServerTest, GracefulStopFinishesRequestsInFlight) {
  start();
  tcp::socket idle = connect();  // an idle keep-alive connection is closed at once
  tcp::socket busy = connect();
  asio::write(busy, asio::buffer(std::string_view("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")));
  std::this_thread::sleep_for(100ms);
  server_->stop();
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(busy, client_buffer_, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.body(), "done");
  EXPECT_FALSE(res.keep_alive());
  thread_.join();  // the io_context runs out of work: nothing is left behind
  EXPECT_EQ(server_->active_connections(), 0u);
  std::array<char, 8> buf{};
  idle.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(HttpServerTest, PortInUseIsAClearError) {
  start();
  asio::io_context other;
  HttpServerOptions o;
  o.port = server_->port();
  HttpServer second(other, o, Router{});
  const auto st = second.start();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find(std::to_string(server_->port())), std::string::npos);
  HttpServerOptions bad;
  bad.address = "localhost:80";
  EXPECT_EQ(HttpServer(other, bad, Router{}).start().error().code, ErrorCode::kInvalidArgument);
}

// HttpServer::answer (what the fuzz targets drive) sends the very bytes a connection is sent.
TEST_F(HttpServerTest, AnswerWithoutASocketIsWhatTheConnectionIsSent) {
  start();
  const std::string bytes =
      "GET /hello/%E5%B0%8F?x=a+b HTTP/1.1\r\nX-Request-Id: r1\r\n\r\n"
      "POST /echo HTTP/1.1\r\nX-Request-Id: r2\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /echo HTTP/1.1\r\nX-Request-Id: r3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "DELETE /echo HTTP/1.1\r\nX-Request-Id: r4\r\n\r\n"
      "GET /nowhere HTTP/1.1\r\nX-Request-Id: r5\r\nConnection: close\r\n\r\n"
      "GET /hello/never HTTP/1.1\r\n\r\n";  // after Connection: close: not answered
  tcp::socket s = connect();
  asio::write(s, asio::buffer(bytes));
  std::string sent;
  beast::error_code ec;
  asio::read(s, asio::dynamic_buffer(sent), ec);  // to the server's close
  ASSERT_EQ(ec, asio::error::eof);
  EXPECT_EQ(server_->answer(bytes), sent);
  EXPECT_NE(sent.find("hello \xe5\xb0\x8f a b"), std::string::npos);
  EXPECT_NE(sent.find("HTTP/1.1 201"), std::string::npos);
  EXPECT_NE(sent.find("HTTP/1.1 405"), std::string::npos);
  EXPECT_NE(sent.find("HTTP/1.1 404"), std::string::npos);
  EXPECT_EQ(sent.find("never"), std::string::npos);

  // Refused framing ends the exchange, as on the socket.
  const std::string smuggled = "POST /echo HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "0\r\n\r\nGET /hello/x HTTP/1.1\r\n\r\n";
  const std::string refused = server_->answer(smuggled);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 400")) << refused;
  EXPECT_EQ(refused.find("hello"), std::string::npos);
  // A cut-off request is not answered; a streamed answer gives its first chunk.
  EXPECT_EQ(server_->answer("POST /echo HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc"), "");
  EXPECT_NE(server_->answer("GET /stream HTTP/1.1\r\n\r\n").find("data: 0\n\n"), std::string::npos);
  EXPECT_NE(server_->answer("GET /throw HTTP/1.1\r\n\r\n").find("HTTP/1.1 500"), std::string::npos);
}

TEST(HttpResponse, ErrorBodyIsJsonWithTheMappedStatus) {
  const auto r = HttpResponse::error(Error{ErrorCode::kUnauthenticated, "bad \"sig\"", -40001});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.body, R"({"error":{"code":"unauthenticated","detail":-40001,"message":"bad \"sig\""}})");
}

}  // namespace
}  // namespace qrscene::net
