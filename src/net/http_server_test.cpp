#include "net/http_server.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace qrscene::net {
namespace {

using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class HttpServerTest : public ::testing::Test {
 protected:
  void graceful_stop_finishes_requests_in_flight(bool lanes);
  // with_lane: connections spread over io_ and a second io_context on its own thread.
  void start(HttpServerOptions options = {}, bool with_lane = false) {
    Router router;
    router.add("GET", "/thread", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, fmt::format("{}", std::hash<std::thread::id>{}(std::this_thread::get_id())));
    });
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
    router.add("GET", "/client", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, r.client_ip);
    });
    router.add("GET", "/has", [](HttpRequest& r) -> asio::awaitable<HttpResponse> {
      co_return HttpResponse::text(200, std::string(r.has_query_param("echostr") ? "yes" : "no") + " " +
                                            (r.has_query_param("nonce") ? "yes" : "no"));
    });
    router.add("GET", "/throw", [](HttpRequest&) -> asio::awaitable<HttpResponse> {
      throw std::runtime_error("boom");
      co_return HttpResponse{};
    });
    router.add("GET", "/hold", [this](HttpRequest&) -> asio::awaitable<HttpResponse> {
      beast::error_code ec;
      co_await hold_.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // until release()
      co_return HttpResponse::text(200, "released");
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
    std::vector<asio::io_context*> lanes;
    if (with_lane) {
      lane_guard_.emplace(lane_.get_executor());
      lanes = {&io_, &lane_};
      lane_thread_ = std::thread([this] { lane_.run(); });
    }
    server_ = std::make_unique<HttpServer>(io_, options, std::move(router), std::move(lanes));
    ASSERT_TRUE(server_->start());
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    lane_guard_.reset();
    if (thread_.joinable()) thread_.join();
    if (lane_thread_.joinable()) lane_thread_.join();
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

  // Lets every request to /hold finish.
  void release() {
    asio::post(io_, [this] { hold_.cancel(); });
  }

  asio::io_context io_;
  asio::steady_timer hold_{io_, std::chrono::hours(1)};
  asio::io_context client_io_;
  beast::flat_buffer client_buffer_;
  asio::io_context lane_{1};  // with_lane: before the server, which it outlives
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> lane_guard_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::thread lane_thread_;
};

// With lanes, each connection lives on one of them: every request of a connection is handled on
// the same thread, and the connections are spread over both threads.
TEST_F(HttpServerTest, ConnectionsAreSpreadOverTheLanesAndEachStaysOnItsThread) {
  start({}, true);
  std::set<std::string> threads;
  std::vector<tcp::socket> sockets;
  for (int c = 0; c < 4; ++c) sockets.push_back(connect());
  for (auto& s : sockets) {
    std::set<std::string> mine;
    for (int i = 0; i < 3; ++i) {
      auto res = roundtrip(s, "GET /thread HTTP/1.1\r\nHost: t\r\n\r\n");
      ASSERT_TRUE(res);
      mine.insert(res->body());
    }
    EXPECT_EQ(mine.size(), 1u) << "a connection's requests ran on more than one thread";
    threads.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(threads.size(), 2u) << "the connections were not spread over both lanes";
}

TEST_F(HttpServerTest, RoutesWithPathAndQueryParameters) {
  start();
  auto res = once("GET /hello/w%C3%BCrld?x=a+b%26c HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "hello würld a b&c");
  EXPECT_EQ(res->at(http::field::server), "qrscene");
  // A key is matched as it decodes, a value with no escape is taken as it is.
  EXPECT_EQ(once("GET /hello/y?%78=plain HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "hello y plain");
  EXPECT_EQ(once("GET /hello/y?x%2B=no&x=yes HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "hello y yes");
}

TEST_F(HttpServerTest, QueryParameterPresenceIsSeparateFromItsValue) {
  start();
  EXPECT_EQ(once("GET /has?echostr=&signature=x HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "yes no");
  EXPECT_EQ(once("GET /has?echostrx=1 HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "no no");
  EXPECT_EQ(once("GET /has?echo%73tr&non+ce=1 HTTP/1.1\r\nHost: t\r\n\r\n")->body(), "yes no");
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
  EXPECT_EQ(server_->stats().too_large, 2);  // counted (and logged), as every refusal is
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
  EXPECT_EQ(server_->stats().header_too_large, 1);
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

// A graceful stop: an idle keep-alive connection is closed at once, a request in flight is finished
// (and told the connection closes), and nothing is left behind. With lanes the idle connection and
// the busy one live on different threads, and the drain timer on io_ sees both go.
void HttpServerTest::graceful_stop_finishes_requests_in_flight(bool lanes) {
  start({}, lanes);
  tcp::socket idle = connect();
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
  if (lanes) lane_guard_.reset();
  thread_.join();  // the io_contexts run out of work
  if (lanes) lane_thread_.join();
  EXPECT_EQ(server_->active_connections(), 0u);
  std::array<char, 8> buf{};
  idle.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(HttpServerTest, GracefulStopFinishesRequestsInFlight) { graceful_stop_finishes_requests_in_flight(false); }

TEST_F(HttpServerTest, GracefulStopOnLanesFinishesRequestsInFlight) { graceful_stop_finishes_requests_in_flight(true); }

// Connections go to the lane with the fewest open: after one closes, the next takes its place.
TEST_F(HttpServerTest, ANewConnectionGoesToTheLaneWithFewestOpen) {
  start({}, true);
  auto thread_of = [&](tcp::socket& s) {
    auto res = roundtrip(s, "GET /thread HTTP/1.1\r\nHost: t\r\n\r\n");
    return res ? res->body() : std::string("no answer");
  };
  tcp::socket a = connect();
  tcp::socket b = connect();
  const std::string lane_a = thread_of(a), lane_b = thread_of(b);
  ASSERT_NE(lane_a, lane_b);
  a.close();
  for (int i = 0; i < 100 && server_->active_connections() > 1; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server_->active_connections(), 1u);
  tcp::socket c = connect();
  EXPECT_EQ(thread_of(c), lane_a);  // round robin alone would have put it beside b
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

// RFC 9112 section 6: only a lone, final "chunked", and never together with Content-Length.
TEST_F(HttpServerTest, TransferCodingsOtherThanALoneChunkedAreRefusedAndTheConnectionClosed) {
  start();
  // Beast took "chunked, identity" as no body: the handler ran with an empty body, and the chunks
  // were parsed as a second request.
  tcp::socket s = connect();
  auto listed = roundtrip(s, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                             "1d\r\nGET /hello/smuggled HTTP/1.1\r\n\r\n\r\n0\r\n\r\n");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->result_int(), 400u);
  EXPECT_NE(listed->body().find("RFC 9112"), std::string::npos) << listed->body();
  std::array<char, 256> rest{};
  beast::error_code ec;
  EXPECT_EQ(s.read_some(asio::buffer(rest), ec), 0u);  // nothing more: closed
  EXPECT_EQ(ec, asio::error::eof);
  // An unknown coding with Content-Length was read by the Content-Length.
  auto unknown = once("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\nabcd");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->result_int(), 400u);
  for (std::string_view te : {"gzip, chunked", "identity", "chunked\r\nTransfer-Encoding: chunked"}) {
    auto res = once(fmt::format("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: {}\r\n\r\n0\r\n\r\n", te));
    ASSERT_TRUE(res) << te;
    EXPECT_EQ(res->result_int(), 400u) << te;
  }
  auto chunked = once("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->body(), "abc");
  EXPECT_EQ(server_->stats().bad_requests, 5);
  EXPECT_TRUE(server_->answer("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n")
                  .starts_with("HTTP/1.1 400"));
}

// The documented 8 KiB held for a header sent at once, but one of 11,974 bytes was taken.
TEST_F(HttpServerTest, TheHeaderLimitIsTheDocumentedOneHoweverTheHeaderArrives) {
  start();
  ASSERT_EQ(HttpServerOptions{}.header_limit, 8u * 1024);
  auto header_of = [](std::size_t bytes) {
    std::string h = "GET /id HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; h.size() + 100 < bytes; ++i) h += fmt::format("X-Pad-{}: {}\r\n", i, std::string(40, 'a'));
    h += "X-Last: ";
    h.resize(bytes - 4, 'a');
    return h + "\r\n\r\n";
  };
  const std::string big = header_of(11'974);
  auto whole = once(big);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->result_int(), 431u);
  for (std::size_t piece : {100u, 4096u, 5000u}) {  // trickled in, as a client may send it
    tcp::socket s = connect();
    for (std::size_t at = 0; at < big.size(); at += piece) {
      beast::error_code ec;
      asio::write(s, asio::buffer(big.substr(at, piece)), ec);
      if (ec) break;
      std::this_thread::sleep_for(2ms);
    }
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(s, client_buffer_, res, ec);
    ASSERT_FALSE(ec) << piece << ": " << ec.message();
    EXPECT_EQ(res.result_int(), 431u) << piece;
  }
  auto fits = once(header_of(8 * 1024));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->result_int(), 200u);
  EXPECT_EQ(server_->stats().header_too_large, 4);
}

TEST_F(HttpServerTest, TheClientIsThePeerUnlessATrustedProxyNamesIt) {
  start();
  EXPECT_EQ(once("GET /client HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\nX-Real-IP: 203.0.113.8\r\n\r\n")->body(),
            "127.0.0.1");
  TearDown();
  server_.reset();
  io_.restart();
  HttpServerOptions o;
  o.trusted_proxies = *TrustedProxies::parse("127.0.0.1");
  start(o);
  EXPECT_EQ(once("GET /client HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n")->body(),
            "203.0.113.9");
  EXPECT_EQ(once("GET /client HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: <script>\r\n\r\n")->body(), "127.0.0.1");
  EXPECT_EQ(once("GET /client HTTP/1.1\r\nHost: t\r\nX-Real-IP: 203.0.113.8\r\n\r\n")->body(), "127.0.0.1");
}

TEST_F(HttpServerTest, WhenFullAnIdleConnectionMakesRoomAndBusyOnesAreKept) {
  HttpServerOptions o;
  o.max_connections = 3;
  start(o);
  std::vector<tcp::socket> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(connect());
    auto res = roundtrip(idle.back(), "GET /id HTTP/1.1\r\nHost: t\r\n\r\n");  // kept alive, then idle
    ASSERT_TRUE(res);
  }
  for (int i = 0; i < 50 && server_->active_connections() < 3; ++i) std::this_thread::sleep_for(10ms);
  auto fourth = once("GET /hello/x HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->result_int(), 200u);
  EXPECT_GE(server_->stats().idle_closed, 1);
  EXPECT_EQ(server_->stats().connection_limit, 3);
  // The one idle the longest is the one closed.
  const timeval two_seconds{2, 0};
  ::setsockopt(idle.front().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
  std::array<char, 16> nothing{};
  beast::error_code closed;
  EXPECT_EQ(idle.front().read_some(asio::buffer(nothing), closed), 0u);
  EXPECT_EQ(closed, asio::error::eof) << closed.message();
  idle.clear();
  for (int i = 0; i < 100 && server_->active_connections() > 0; ++i) std::this_thread::sleep_for(10ms);

  // Three requests at work (held until release()): a fourth connection is closed unanswered, and
  // the three finish.
  std::vector<tcp::socket> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(connect());
    asio::write(busy.back(), asio::buffer(std::string_view("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n")));
  }
  for (int i = 0; i < 50 && server_->active_connections() < 3; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);  // the three are in their handlers (held, however slow the machine)
  EXPECT_FALSE(once("GET /id HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(server_->stats().refused, 1);
  release();
  for (auto& s : busy) {
    http::response<http::string_body> res;
    beast::error_code ec;
    beast::flat_buffer b;
    http::read(s, b, res, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.body(), "released");
  }
}

TEST(HttpResponse, ErrorBodyIsJsonWithTheMappedStatus) {
  const auto r = HttpResponse::error(Error{ErrorCode::kUnauthenticated, "bad \"sig\"", -40001});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.body, R"({"error":{"code":"unauthenticated","detail":-40001,"message":"bad \"sig\""}})");
}

}  // namespace
}  // namespace qrscene::net
