#include "net/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <array>
#include <cctype>
#include <mutex>
#include <unordered_set>

#include "base/encoding.h"
#include "base/log_text.h"
#include "base/strings.h"

namespace qrscene::net {

using tcp = asio::ip::tcp;

namespace {

// A request id we are willing to echo: 1..64 characters of [A-Za-z0-9._-].
bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// 16 hex digits, unique enough to find a request's log lines: a per-thread splitmix64 sequence
// seeded once from the kernel, not a getrandom(2) call per request (an id is no secret).
std::string new_request_id() {
  thread_local std::uint64_t state = [] {
    std::array<std::uint8_t, 8> seed{};
    secure_random_bytes(seed);
    std::uint64_t s = 0;
    for (auto b : seed) s = (s << 8) | b;
    return s;
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) id[static_cast<std::size_t>(i)] = kHex[z & 0xf];
  return id;
}

}  // namespace

// --- HttpServer ---

// One connection as the server's bookkeeping sees it: whether a request is being handled (stop()
// leaves those alone) or it is idle (it may be closed to make room), and how to end its reads.
struct Connection {
  virtual ~Connection() = default;
  virtual asio::any_io_executor executor() = 0;
  virtual void cancel() = 0;  // on executor(): a pending read ends with operation_aborted
  virtual void close() = 0;   // on executor()
  std::atomic<bool> busy{false};
  std::atomic<bool> idle{false};  // waiting for a request's first byte: may be closed to make room
  std::atomic<std::int64_t> idle_since{0};  // steady clock, nanoseconds
  std::atomic<bool> closing{false};         // chosen to make room
};

// A connection over a stream socket of `Protocol`: TCP from the acceptor, or a local socket pair
// (HttpServer::answer). Both run the same session code.
template <class Protocol>
struct StreamConnection final : Connection {
  explicit StreamConnection(typename Protocol::socket socket) : stream(std::move(socket)) {}
  asio::any_io_executor executor() override { return stream.get_executor(); }
  void cancel() override {
    beast::error_code ignored;  // the connection may have closed meanwhile
    stream.socket().cancel(ignored);
  }
  void close() override { stream.close(); }
  beast::basic_stream<Protocol> stream;
};

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  HttpServerOptions options;
  Router router;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<asio::io_context*> lanes;  // each on one thread; empty: a strand per connection
  std::unique_ptr<std::atomic<std::size_t>[]> lane_load;  // connections open on each lane
  std::size_t next_lane = 0;                              // the acceptor's alone

  static constexpr std::size_t kNoLane = static_cast<std::size_t>(-1);
  // The lane with the fewest connections open, the next in turn among equals: a keep-alive pool
  // (nginx's upstream) opened in a burst is spread evenly however its connections come and go.
  std::size_t pick_lane() {
    const std::size_t n = lanes.size();
    std::size_t best = next_lane % n;
    for (std::size_t i = 1; i < n; ++i) {
      const std::size_t j = (next_lane + i) % n;
      if (lane_load[j].load() < lane_load[best].load()) best = j;
    }
    next_lane = best + 1;
    return best;
  }
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::unordered_set<std::shared_ptr<Connection>> conns;  // guarded by mu
  std::atomic<std::size_t> connections{0};
  std::size_t max_connections = 0;  // set by start()
  std::atomic<std::int64_t> idle_closed{0}, refused{0}, accept_failures{0}, bad_requests{0}, too_large{0},
      header_too_large{0};
  LogThrottle refusal_log{std::chrono::seconds(10)};
  std::shared_ptr<asio::steady_timer> drain_timer;  // set by stop(); guarded by mu, used under it

  // Counts and logs a request the server refused itself (repeats within 10 s summed in one line).
  void refuse(unsigned status, std::string_view client, const beast::error_code& ec) {
    (status == 413 ? too_large : status == 431 ? header_too_large : bad_requests).fetch_add(1);
    if (const auto shown = refusal_log.admit(fmt::format("{}", status))) {
      spdlog::warn("http refused status={} client={} reason={} repeats={}", status, log_text(client),
                   log_text(ec.message()), *shown);
    }
  }

  // Closes the connection idle the longest (on its own lane or strand, if it is still idle there);
  // false when none is idle.
  bool close_one_idle() {
    std::lock_guard lock(mu);
    std::shared_ptr<Connection> oldest;
    for (const auto& c : conns) {
      if (!c->idle.load() || c->busy.load() || c->closing.load()) continue;
      if (!oldest || c->idle_since.load() < oldest->idle_since.load()) oldest = c;
    }
    if (!oldest) return false;
    oldest->closing.store(true);  // not chosen twice
    // On its lane or strand it is either still waiting (closed, and counted) or has a request by
    // now (kept, and may be chosen again later).
    asio::post(oldest->executor(), [c = oldest, self = shared_from_this()] {
      if (c->idle.load()) {
        c->cancel();
        self->idle_closed.fetch_add(1);
      } else {
        c->closing.store(false);
      }
    });
    return true;
  }

  void track(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu);
    conns.insert(c);
  }
  void untrack(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu);
    conns.erase(c);
    // The last connection gone during a stop: no need to wait out the drain timer.
    if (conns.empty() && stopping.load() && drain_timer) {
      asio::post(drain_timer->get_executor(), [t = drain_timer, self = shared_from_this()] {
        std::lock_guard guard(self->mu);
        t->cancel();
      });
    }
  }
};

namespace {

using State = HttpServer::State;

// Every X-Forwarded-For header's value, in order, joined by commas (RFC 9110 section 5.3).
template <class Fields>
std::string forwarded_for(const Fields& fields) {
  std::string out;
  for (const auto& f : fields) {
    const auto name = f.name_string();
    if (!iequals(std::string_view(name.data(), name.size()), "X-Forwarded-For")) continue;
    if (!out.empty()) out += ',';
    out.append(f.value().data(), f.value().size());
  }
  return out;
}

HttpRequest to_request(http::request<http::string_body>&& req, const std::string& remote_ip,
                       const HttpServerOptions& options) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.headers.reserve(8);
  for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  r.body = std::move(req.body());
  r.remote_ip = remote_ip;
  r.client_ip =
      options.trusted_proxies.empty() ? remote_ip : options.trusted_proxies.client(remote_ip, forwarded_for(req));
  const std::string_view given = r.header("X-Request-Id");
  r.request_id = sane_request_id(given) ? std::string(given) : new_request_id();
  return r;
}

http::response<http::string_body> to_beast(HttpResponse&& res, unsigned version, bool keep_alive,
                                           const HttpServerOptions& options, std::string_view request_id) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  out.set(http::field::server, options.server_name);
  out.set(http::field::content_type, res.content_type);
  if (!request_id.empty()) out.set("X-Request-Id", std::string(request_id));
  for (auto& [k, v] : res.headers) out.set(k, v);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

using Parser = http::request_parser<http::string_body>;

// RFC 9112 section 6: a request's body is framed by Content-Length or by one final "chunked"
// transfer coding. Another coding, a list of them, or both headers at once could be read two ways
// by two servers (request smuggling): false, and the request is refused.
bool framing_is_clear(const Parser& parser) {
  const auto& h = parser.get();
  const auto codings = h.equal_range(http::field::transfer_encoding);
  if (codings.first == codings.second) return true;
  if (h.count(http::field::content_length) != 0) return false;
  if (std::next(codings.first) != codings.second) return false;
  const auto value = codings.first->value();
  return iequals(trim(std::string_view(value.data(), value.size())), "chunked");
}

// The status for a request Beast refused to parse, or 0 to close without answering.
unsigned status_for_read_error(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted || ec == http::error::partial_message) {
    return 0;
  }
  return 400;  // bad method, bad target, bad or conflicting framing, bad chunk, ...
}

std::string refusal_text(const beast::error_code& ec, const HttpServerOptions& options) {
  if (ec == http::error::bad_transfer_encoding) {
    return "a request body is framed by Content-Length or by Transfer-Encoding: chunked alone (RFC 9112 section 6)\n";
  }
  if (ec == http::error::header_limit) {
    return fmt::format("the request line and headers exceed {} bytes\n", options.header_limit);
  }
  if (ec == http::error::body_limit) return fmt::format("the body exceeds {} bytes\n", options.body_limit);
  return fmt::format("{}\n", ec.message());
}

void limit(Parser& parser, const HttpServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
}

// The route's handler (an exception is a 500 that names the request), or 404 / 405.
asio::awaitable<HttpResponse> dispatch(const Router& router, HttpRequest& request) {
  unsigned status = 0;
  std::string allow;
  const Handler* handler = router.match(request, status, allow);
  if (handler == nullptr) {
    HttpResponse response = HttpResponse::text(status, status == 404 ? "not found\n" : "method not allowed\n");
    if (status == 405) response.headers.emplace_back("Allow", allow);
    co_return response;
  }
  try {
    co_return co_await (*handler)(request);
  } catch (const std::exception&) {
    co_return HttpResponse::error(Error{ErrorCode::kInternal, "internal error (request " + request.request_id + ")"});
  }
}

// Gives the parser what `data` holds: the header once it is whole (Beast takes the request line,
// then all the fields at once; until then every byte buffered is header), checked against
// header_limit and for clear framing, then as much of the body as is there. Returns the bytes
// used; `header_bytes` carries the header's size over calls.
std::size_t feed(Parser& parser, asio::const_buffer data, std::size_t& header_bytes, const HttpServerOptions& opt,
                 beast::error_code& ec) {
  std::size_t used = 0;
  auto rest = [&] { return asio::buffer(static_cast<const char*>(data.data()) + used, data.size() - used); };
  while (!parser.is_header_done()) {
    parser.eager(false);
    const std::size_t n = parser.put(rest(), ec);
    used += n;
    header_bytes += n;
    if (ec == http::error::need_more) {
      ec = header_bytes + (data.size() - used) > opt.header_limit ? beast::error_code(http::error::header_limit)
                                                                  : beast::error_code();
      return used;
    }
    if (ec) return used;
    if (n == 0) return used;
  }
  if (header_bytes > 0) {  // this call finished the header
    if (header_bytes > opt.header_limit) {
      ec = http::error::header_limit;
      return used;
    }
    if (!framing_is_clear(parser)) {
      ec = http::error::bad_transfer_encoding;
      return used;
    }
    header_bytes = 0;
  }
  parser.eager(true);
  while (!parser.is_done() && used < data.size()) {
    const std::size_t n = parser.put(rest(), ec);
    used += n;
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || n == 0) break;
  }
  return used;
}

// The chunks of a streamed response, on the connection's stream.
template <class Stream>
class ChunkWriter final : public ResponseStream {
 public:
  ChunkWriter(Stream& stream, const State& state) : stream_(stream), state_(state) {}
  asio::awaitable<bool> write(std::string data) override {
    if (failed_ || state_.stopping.load()) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    beast::error_code ec;
    stream_.expires_after(state_.options.read_timeout);
    co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data)), asio::redirect_error(asio::use_awaitable, ec));
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }
  [[nodiscard]] bool failed() const noexcept { return failed_; }

 private:
  Stream& stream_;
  const State& state_;
  bool failed_ = false;
};

// Sends the headers of a streamed response, runs its producer, and ends the body.
template <class Stream>
asio::awaitable<void> write_streamed(Stream& stream, const State& state, HttpResponse&& response,
                                     unsigned version, std::string_view request_id) {
  http::response<http::empty_body> head{static_cast<http::status>(response.status), version};
  head.set(http::field::server, state.options.server_name);
  head.set(http::field::content_type, response.content_type);
  if (!request_id.empty()) head.set("X-Request-Id", std::string(request_id));
  for (auto& [k, v] : response.headers) head.set(k, v);
  head.keep_alive(false);
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer{head};
  beast::error_code ec;
  stream.expires_after(state.options.read_timeout);
  co_await http::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  ChunkWriter<Stream> writer(stream, state);
  const StreamProducer producer = std::move(response.stream);
  co_await producer(writer);
  if (writer.failed()) co_return;
  stream.expires_after(state.options.read_timeout);
  co_await asio::async_write(stream, http::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
}

// Reads one request into `parser`. Its first byte is awaited for `wait` (a new connection, or the
// idle time between keep-alive requests); from then on the whole request must come within
// read_timeout (slowloris). Usually the whole request comes with the first read and is parsed from
// the buffer, with no second read and no timer to arm.
template <class Conn>
asio::awaitable<beast::error_code> read_request(Conn& conn, beast::flat_buffer& buffer, Parser& parser,
                                                const HttpServerOptions& opt, std::chrono::milliseconds wait) {
  beast::error_code ec;
  if (buffer.size() == 0) {
    conn.idle_since.store(std::chrono::steady_clock::now().time_since_epoch().count());
    conn.idle.store(true);
    conn.stream.expires_after(wait);
    const std::size_t n =
        co_await conn.stream.async_read_some(buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
    conn.idle.store(false);
    buffer.commit(n);
    if (ec) co_return ec;
  }
  std::size_t header_bytes = 0;
  bool deadline = false;
  for (;;) {
    buffer.consume(feed(parser, buffer.data(), header_bytes, opt, ec));
    if (ec || parser.is_done()) co_return ec;
    if (!deadline) {
      conn.stream.expires_after(opt.read_timeout);
      deadline = true;
    }
    const std::size_t n =
        co_await conn.stream.async_read_some(buffer.prepare(16 * 1024), asio::redirect_error(asio::use_awaitable, ec));
    buffer.commit(n);
    if (ec) co_return ec;
  }
}

// One connection's session: requests read, routed, handled and answered in turn until the peer
// closes, a request does not keep the connection alive, a deadline passes or the server stops.
// The caller has counted it in state->connections.
template <class Protocol>
asio::awaitable<void> serve_connection(std::shared_ptr<State> state, typename Protocol::socket socket,
                                       std::string remote_ip, std::size_t lane) {
  auto conn = std::make_shared<StreamConnection<Protocol>>(std::move(socket));
  auto* stream = &conn->stream;
  state->track(conn);
  beast::error_code ec;
  beast::flat_buffer buffer;
  const auto& opt = state->options;
  bool first = true;

  while (!state->stopping.load()) {
    Parser parser;
    limit(parser, opt);
    ec = co_await read_request(*conn, buffer, parser, opt, first ? opt.read_timeout : opt.idle_timeout);
    first = false;
    if (ec) {
      if (const unsigned status = status_for_read_error(ec); status != 0) {
        state->refuse(status, parser.is_header_done() ? to_request(parser.release(), remote_ip, opt).client_ip : remote_ip,
                      ec);
        auto res = to_beast(HttpResponse::text(status, refusal_text(ec, opt)), 11, false, opt, {});
        stream->expires_after(opt.read_timeout);
        co_await http::async_write(*stream, res, asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }

    conn->busy.store(true);
    http::request<http::string_body> req = parser.release();
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    HttpRequest request = to_request(std::move(req), remote_ip, opt);
    stream->expires_never();  // the handler's own deadlines apply while it works
    HttpResponse response = co_await dispatch(state->router, request);

    if (response.stream) {
      co_await write_streamed(*stream, *state, std::move(response), version, request.request_id);
      conn->busy.store(false);
      break;
    }
    const bool again = keep_alive && !state->stopping.load();
    auto res = to_beast(std::move(response), version, again, opt, request.request_id);
    stream->expires_after(opt.read_timeout);
    co_await http::async_write(*stream, res, asio::redirect_error(asio::use_awaitable, ec));
    conn->busy.store(false);
    if (ec || !again) break;
  }

  stream->socket().shutdown(asio::socket_base::shutdown_send, ec);
  stream->close();
  state->connections.fetch_sub(1);
  if (lane != State::kNoLane) state->lane_load[lane].fetch_sub(1);
  state->untrack(conn);
}

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == std::errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> state, asio::io_context& io) {
  using namespace std::chrono_literals;
  std::chrono::milliseconds pause{0};
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!state->stopping.load()) {
    beast::error_code ec;
    // A connection's handlers never run concurrently: it lives on one lane (one thread), or it
    // gets its own strand.
    const std::size_t lane = state->lanes.empty() ? State::kNoLane : state->pick_lane();
    tcp::socket socket = lane == State::kNoLane ? tcp::socket(asio::make_strand(io)) : tcp::socket(*state->lanes[lane]);
    co_await state->acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || state->stopping.load()) break;
      if (!out_of_descriptors(ec)) continue;  // e.g. ECONNABORTED: the next one is fine
      // Out of descriptors all the same (the store's files, WeChat's calls): the connection waits in
      // the backlog. Make room and pause (10 ms, doubling to 1 s) instead of failing again at once,
      // thousands of times a second.
      state->accept_failures.fetch_add(1);
      state->close_one_idle();
      pause = std::clamp(pause * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
      if (const auto shown = state->refusal_log.admit("accept")) {
        spdlog::error("http accept_failed reason={} connections={} pause_ms={} repeats={}", log_text(ec.message()),
                      state->connections.load(), pause.count(), *shown);
      }
      timer.expires_after(pause);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    pause = 0ms;
    // At the cap: the connection idle the longest is closed to make room, and its descriptor
    // awaited (a few milliseconds) before the next accept, so the count passes the cap by one at
    // most. With none idle, every connection is at work: the new one is closed unanswered.
    const bool full = state->connections.load() >= state->max_connections;
    if (full && !state->close_one_idle()) {
      state->refused.fetch_add(1);
      socket.close(ec);
      continue;
    }
    state->connections.fetch_add(1);  // counted here, so a burst of accepts sees itself
    std::string remote_ip;
    if (auto ep = socket.remote_endpoint(ec); !ec) remote_ip = ep.address().to_string();
    auto executor = socket.get_executor();
    if (lane != State::kNoLane) state->lane_load[lane].fetch_add(1);
    asio::co_spawn(executor, serve_connection<tcp>(state, std::move(socket), std::move(remote_ip), lane),
                   asio::detached);
    for (int i = 0; full && i < 50 && state->connections.load() > state->max_connections && !state->stopping.load();
         ++i) {
      timer.expires_after(2ms);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Router router,
                       std::vector<asio::io_context*> lanes)
    : io_(io), state_(std::make_shared<State>()) {
  state_->options = std::move(options);
  state_->router = std::move(router);
  state_->lanes = std::move(lanes);
  state_->lane_load = std::make_unique<std::atomic<std::size_t>[]>(state_->lanes.size());
}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("listen address '{}' is not an IP address", state_->options.address));
  }
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io_));
  const tcp::endpoint endpoint(address, state_->options.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unexpected(ErrorCode::kUnavailable,
                      fmt::format("cannot listen on {}:{}: {}", state_->options.address, state_->options.port, ec.message()));
  }
  // What a connection costs is a descriptor: stay below the limit, with room for the store's files,
  // WeChat's calls and the listening socket.
  const std::size_t files = raise_open_files_limit();
  const std::size_t ceiling = files > 512 ? files - 256 : std::max<std::size_t>(files / 2, 8);
  state_->max_connections =
      state_->options.max_connections == 0 ? ceiling : std::min(state_->options.max_connections, ceiling);
  port_.store(acceptor->local_endpoint().port());
  state_->acceptor = std::move(acceptor);
  asio::co_spawn(state_->acceptor->get_executor(), accept_loop(state_, io_), asio::detached);
  return {};
}

void HttpServer::stop() {
  if (!state_ || state_->stopping.exchange(true)) return;
  auto state = state_;
  if (state->acceptor) {
    asio::post(state->acceptor->get_executor(), [state] {
      beast::error_code ec;
      state->acceptor->close(ec);
    });
  }
  // Idle connections are waiting in a read: cancel them now. Connections with a request in flight
  // finish it (their response says Connection: close); after drain_timeout the rest are closed.
  auto timer = std::make_shared<asio::steady_timer>(io_, state->options.drain_timeout);
  std::vector<std::shared_ptr<Connection>> conns;
  {
    std::lock_guard lock(state->mu);
    state->drain_timer = timer;
    conns.assign(state->conns.begin(), state->conns.end());
  }
  for (auto& c : conns) {
    asio::post(c->executor(), [c] {
      if (!c->busy.load()) c->cancel();
    });
  }
  if (conns.empty()) return;
  // The timer is waited on and cancelled on its io_context, always under mu: the last connection
  // goes either before the wait begins (nothing to wait for) or after it (and untrack() cancels it).
  asio::post(io_, [state, timer] {
    std::lock_guard lock(state->mu);
    if (state->conns.empty()) return;
    timer->async_wait([state](const beast::error_code& ec) {
      if (ec) return;  // cancelled: every connection finished in time
      std::lock_guard guard(state->mu);
      for (const auto& c : state->conns) {
        asio::post(c->executor(), [c] { c->close(); });
      }
    });
  });
}

std::size_t HttpServer::active_connections() const noexcept { return state_->connections.load(); }

HttpServerStats HttpServer::stats() const noexcept {
  const State& s = *state_;
  return HttpServerStats{static_cast<std::int64_t>(s.connections.load()),
                         static_cast<std::int64_t>(s.max_connections),
                         s.idle_closed.load(),
                         s.refused.load(),
                         s.accept_failures.load(),
                         s.bad_requests.load(),
                         s.too_large.load(),
                         s.header_too_large.load()};
}

std::size_t raise_open_files_limit() noexcept {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(limit.rlim_cur, 1 << 20) : limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(limit.rlim_cur);
}

std::string HttpServer::answer(std::string_view bytes, std::string remote_ip) {
  using local = asio::local::stream_protocol;
  asio::io_context io;
  local::socket server(io), client(io);
  asio::local::connect_pair(server, client);
  state_->connections.fetch_add(1);
  asio::co_spawn(io, serve_connection<local>(state_, std::move(server), std::move(remote_ip), State::kNoLane),
                 asio::detached);
  // The peer: sends the bytes and closes its sending side, while reading all that comes back.
  asio::co_spawn(io, [&client, input = std::string(bytes)]() -> asio::awaitable<void> {
    beast::error_code ec;
    co_await asio::async_write(client, asio::buffer(input), asio::redirect_error(asio::use_awaitable, ec));
    client.shutdown(local::socket::shutdown_send, ec);
  }, asio::detached);
  std::string out;
  asio::co_spawn(io, [&client, &out]() -> asio::awaitable<void> {
    std::array<char, 16 * 1024> chunk{};
    for (;;) {
      beast::error_code ec;
      const std::size_t n =
          co_await client.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      out.append(chunk.data(), n);
      if (ec) break;
    }
  }, asio::detached);
  io.run();
  return out;
}

}  // namespace qrscene::net
