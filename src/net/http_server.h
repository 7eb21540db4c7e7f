// HttpServer: the HTTP/1.1 server under the callback endpoint, the admin API and the simulator.
//
// One acceptor and one coroutine per connection on caller-owned io_contexts (DESIGN.md section 6:
// each connection on one lane, an io_context run by one thread; or, with no lanes, a strand per
// connection on one io_context). Every defence a public endpoint needs is
// here rather than in the handlers: a fresh parser per request with a header limit and a body
// limit (431 / 413 without reading further), a deadline for reading each request (slowloris) and an
// idle timeout between keep-alive requests, Beast's refusal of ambiguous framing (both
// Content-Length and Transfer-Encoding, or two Content-Lengths → 400), and a graceful stop.
//
// Connections are capped below the open-files limit (raised to its hard limit at start): when the
// cap is reached an idle keep-alive connection is closed to make room, and a new connection is
// refused only when none is idle; accept() failing for want of descriptors (EMFILE, ENFILE) backs
// off instead of spinning. A request's body is framed by Content-Length or by a lone final
// "Transfer-Encoding: chunked" (RFC 9112 section 6), anything else is 400; every refusal the server
// makes itself (400, 413, 431) is counted and logged (repeats summarized).
//
// Handlers are C++20 coroutines: they may co_await blocking work on another pool and the
// connection waits for them. A request id (from X-Request-Id when it is sane, else generated) is
// put on the request and echoed in the response.
//
// Thread safety: add routes before start(). start(), stop() and port() may be called from any
// thread. Handlers run on the io_context's threads, possibly concurrently for different connections.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/asio.h"
#include "base/ip_address.h"

namespace qrscene::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target before '?', not decoded
  std::string query;   // target after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_ip;   // the TCP peer
  std::string client_ip;   // the client: the peer, or who a trusted proxy says it is (base/ip_address.h)
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> path_params;  // from "{name}" route segments

  // The first header with this name (case-insensitive), or "".
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
  // The decoded value of query parameter `name`, or "" ('+' is a space; %XX decoded).
  [[nodiscard]] std::string query_param(std::string_view name) const;
  [[nodiscard]] bool has_query_param(std::string_view name) const;
  [[nodiscard]] std::string_view path_param(std::string_view name) const noexcept;
};

// Where a streamed response writes its body, a chunk at a time (Server-Sent Events).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Sends `data` as one chunk now. false once the peer has gone, a write timed out or the server
  // is stopping: the producer should return.
  [[nodiscard]] virtual asio::awaitable<bool> write(std::string data) = 0;
};
using StreamProducer = std::function<asio::awaitable<void>(ResponseStream&)>;

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is produced as it goes: the headers are sent at once (chunked, no
  // Content-Length), then whatever the producer writes; the connection closes after it returns.
  StreamProducer stream;

  [[nodiscard]] static HttpResponse text(unsigned status, std::string body);
  [[nodiscard]] static HttpResponse json(unsigned status, std::string body);
  // {"error":{"code":"invalid_argument","message":"..."}} with the status the code maps to.
  [[nodiscard]] static HttpResponse error(const Error& error);
};

using Handler = std::function<asio::awaitable<HttpResponse>(HttpRequest&)>;

// Routes by method and path. A pattern is a literal path whose segments may be "{name}"
// placeholders; the first match in the order added wins. Unknown path → 404; known path but
// another method → 405 with an Allow header.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Finds the handler and fills request.path_params; nullptr with `status` 404 or 405 otherwise.
  [[nodiscard]] const Handler* match(HttpRequest& request, unsigned& status, std::string& allow) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: any free port; see HttpServer::port()
  std::size_t header_limit = 8 * 1024;       // bytes of request line + headers → 431 beyond
  std::size_t body_limit = 1024 * 1024;      // bytes of body → 413 beyond
  std::chrono::milliseconds read_timeout{10'000};   // to read one whole request (slowloris)
  std::chrono::milliseconds idle_timeout{60'000};   // between keep-alive requests
  std::chrono::milliseconds drain_timeout{5'000};   // how long stop() lets requests in flight finish
  // Open connections at most; 0: the open-files limit less a reserve for the store and WeChat's
  // calls. A larger value is lowered to that too (beyond it accept() would fail).
  std::size_t max_connections = 0;
  TrustedProxies trusted_proxies;  // whose X-Forwarded-For names the client; none by default
  std::string server_name = "qrscene";
};

// What the server did on its own, for /metrics.
struct HttpServerStats {
  std::int64_t connections = 0;        // open now
  std::int64_t connection_limit = 0;   // max_connections in effect
  std::int64_t idle_closed = 0;        // idle keep-alive connections closed to make room
  std::int64_t refused = 0;            // new connections closed at once: full, none idle
  std::int64_t accept_failures = 0;    // accept() out of descriptors (each followed by a pause)
  std::int64_t bad_requests = 0;       // answered 400 by the server (framing, syntax)
  std::int64_t too_large = 0;          // answered 413
  std::int64_t header_too_large = 0;   // answered 431
};

// Raises this process's soft limit on open files to its hard limit; returns the soft limit now.
std::size_t raise_open_files_limit() noexcept;

class HttpServer {
 public:
  // `io` runs the acceptor and the drain timer. Connections go round robin to `lanes`, io_contexts
  // that each run on exactly one thread (a connection's handlers then never run concurrently, with
  // no strand); with no lanes, each connection gets a strand on `io` (io may run on any threads).
  HttpServer(asio::io_context& io, HttpServerOptions options, Router router,
             std::vector<asio::io_context*> lanes = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors: kUnavailable when the address cannot be bound (in use,
  // not local, no permission), with the address in the message.
  [[nodiscard]] Status start();

  // Stops accepting, closes idle connections, lets requests in flight finish (answering them with
  // Connection: close) for up to drain_timeout, then closes the rest. Returns at once; the
  // io_context runs out of work when all is done.
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_.load(); }
  [[nodiscard]] std::size_t active_connections() const noexcept;
  [[nodiscard]] HttpServerStats stats() const noexcept;

  // What a client that sends `bytes` and then closes its sending side is sent back: the bytes go
  // over a local socket pair into the same session code a TCP connection runs (parser, limits,
  // deadlines, keep-alive, router, handlers, streamed answers to their end), with `remote_ip` as
  // the peer's address. Runs on the calling thread until the session ends; the server need not be
  // started. For the fuzz targets (fuzz/service_harness.h) and the tests.
  [[nodiscard]] std::string answer(std::string_view bytes, std::string remote_ip = "127.0.0.1");

  struct State;  // shared with the connection coroutines

 private:
  asio::io_context& io_;
  std::shared_ptr<State> state_;
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace qrscene::net
