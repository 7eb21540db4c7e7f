#include "sim/simulator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/encoding.h"
#include "net/asio.h"
#include "net/blocking.h"
#include "qr/qr_code.h"
#include "sim/wx_error.h"
#include "wechat/msg_crypt.h"

namespace qrscene::sim {

struct Simulator::Pool {
  explicit Pool(int threads) : pool(static_cast<std::size_t>(std::max(1, threads))) {}
  asio::thread_pool pool;
};

namespace {

using net::HttpRequest;
using net::HttpResponse;

Json delivery_json(const Delivery& d) {
  Json attempts = Json::array();
  for (const auto& a : d.attempts) {
    attempts.push_back({{"status", a.status}, {"error", a.error}, {"elapsed_ms", a.elapsed_ms}});
  }
  Json j{{"outcome", to_string(d.outcome)}, {"attempts", attempts}, {"user_sees", d.user_sees}};
  if (!d.reply_type.empty()) j["reply_type"] = d.reply_type;
  if (!d.problem.empty()) j["problem"] = d.problem;
  if (!d.reply_xml.empty()) j["reply_xml"] = d.reply_xml;
  return j;
}

Json record_json(const PushRecord& r) {
  Json j{{"seq", r.seq}, {"openid", r.action.openid}, {"event", r.action.event}, {"create_time", r.action.create_time}};
  if (!r.action.ticket.empty()) j["ticket"] = r.action.ticket;
  if (!r.action.note.empty()) j["note"] = r.action.note;
  j["delivery"] = delivery_json(r.delivery);
  return j;
}

Json user_json(const SimUser& u) {
  return Json{{"openid", u.openid},          {"unionid", u.unionid},           {"subscribed", u.subscribed},
              {"subscribe_time", u.subscribe_time}, {"subscribe_scene", u.subscribe_scene},
              {"qr_scene", u.qr_scene},      {"qr_scene_str", u.qr_scene_str}, {"tags", u.tags},
              {"remark", u.remark}};
}

Json account_json(const SimAccount& a) {
  return Json{{"appid", a.appid},           {"original_id", a.original_id}, {"mode", to_string(a.mode)},
              {"callback_url", a.callback_url}, {"test_account", a.test_account}, {"verified", a.verified},
              {"unionid", a.unionid},       {"ip_whitelist", a.ip_whitelist}};
}

// WeChat's answers: HTTP 200, JSON, its odd Content-Type.
HttpResponse wx_ok(const Json& j) {
  HttpResponse r = HttpResponse::json(200, j.dump());
  r.content_type = "application/json; encoding=utf-8";
  return r;
}

HttpResponse wx_fail(const Error& e, Rng& rng, std::int64_t now) {
  const int errcode = e.detail != 0 ? static_cast<int>(e.detail) : -1;
  return wx_ok(Json{{"errcode", errcode}, {"errmsg", fmt::format("{} rid: {}", e.message, make_rid(now, rng))}});
}

// What a fault answers (after its delay), or nothing: the call is answered as usual.
asio::awaitable<std::optional<HttpResponse>> answer_fault(std::optional<ApiFault> f, Rng& rng, std::int64_t now) {
  if (!f) co_return std::nullopt;
  if (f->delay_ms > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(f->delay_ms));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (f->errcode != 0) co_return wx_fail(wx_error(f->errcode), rng, now);
  if (f->status != 0) {
    HttpResponse r;
    r.status = f->status;
    r.content_type = "text/html";
    r.body = fmt::format("<html><body><h1>{}</h1></body></html>", f->status);
    co_return r;
  }
  if (f->malformed) {
    HttpResponse r = wx_ok(Json::object());
    r.body = R"({"errcode":0,"errmsg":"ok","access_tok)";
    co_return r;
  }
  co_return std::nullopt;
}

Json fault_json(const ApiFault& f) {
  return Json{{"path", f.path},         {"errcode", f.errcode}, {"status", f.status}, {"malformed", f.malformed},
              {"delay_ms", f.delay_ms}, {"times", f.times},     {"hits", f.hits}};
}

// A control API request's JSON body: {} when empty.
Result<Json> control_body(const HttpRequest& req) {
  if (req.body.empty()) return Json::object();
  Json j = Json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return unexpected(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  return j;
}

std::string http_date(std::int64_t t) {
  std::tm tm{};
  const std::time_t tt = static_cast<std::time_t>(t);
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool valid_token(std::string_view t) {
  return t.size() >= 3 && t.size() <= 32 &&
         std::all_of(t.begin(), t.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Json to_json(const LoadReport& r) {
  return Json{{"actions", r.actions},
              {"pushes_sent", r.pushes_sent},
              {"answered", r.answered},
              {"retried", r.retried},
              {"failed", r.failed},
              {"by_event", r.by_event},
              {"seconds", r.seconds},
              {"template_pushes", r.template_pushes},
              {"markfailed", r.markfailed},
              {"slowest_ms", r.slowest_ms},
              {"over_5s", r.over_5s}};
}

Result<SimAccount> account_from_json(const Json& j) {
  if (!j.is_object()) return unexpected(ErrorCode::kInvalidArgument, "an account must be a JSON object");
  std::vector<std::string> problems;
  SimAccount a;
  auto str = [&](const char* key, std::string& out) {
    if (!j.contains(key)) return;
    if (j[key].is_string()) {
      out = j[key].get<std::string>();
    } else {
      problems.push_back(fmt::format("{}: must be a string", key));
    }
  };
  auto flag = [&](const char* key, bool& out) {
    if (!j.contains(key)) return;
    if (j[key].is_boolean()) {
      out = j[key].get<bool>();
    } else {
      problems.push_back(fmt::format("{}: must be true or false", key));
    }
  };
  static constexpr std::array<std::string_view, 12> kKeys{"appid", "secret", "test_account", "ip_whitelist",
                                                          "original_id", "token", "encoding_aes_key", "mode",
                                                          "callback_url", "verified", "unionid", "comment"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) problems.push_back(fmt::format("{}: unknown key", key));
  }
  str("appid", a.appid);
  str("secret", a.secret);
  str("original_id", a.original_id);
  str("token", a.token);
  str("encoding_aes_key", a.encoding_aes_key);
  str("callback_url", a.callback_url);
  flag("test_account", a.test_account);
  flag("verified", a.verified);
  flag("unionid", a.unionid);
  std::string mode = "plain";
  str("mode", mode);
  if (j.contains("ip_whitelist")) {
    if (j["ip_whitelist"].is_array() && std::all_of(j["ip_whitelist"].begin(), j["ip_whitelist"].end(),
                                                     [](const Json& v) { return v.is_string(); })) {
      a.ip_whitelist = j["ip_whitelist"].get<std::vector<std::string>>();
    } else {
      problems.emplace_back("ip_whitelist: must be a list of IP addresses");
    }
  }
  if (a.appid.empty()) problems.emplace_back("appid: required (e.g. \"wx1234567890abcdef\")");
  if (a.secret.empty()) problems.emplace_back("secret: required");
  if (mode == "plain") {
    a.mode = PushMode::kPlain;
  } else if (mode == "compatible") {
    a.mode = PushMode::kCompatible;
  } else if (mode == "safe") {
    a.mode = PushMode::kSafe;
  } else {
    problems.push_back(fmt::format("mode: '{}' is not plain, compatible or safe", mode));
  }
  if (!a.callback_url.empty()) {
    if (a.callback_url.rfind("http://", 0) != 0 && a.callback_url.rfind("https://", 0) != 0) {
      problems.emplace_back("callback_url: must start with http:// or https://");
    }
    if (!valid_token(a.token)) problems.emplace_back("token: 3 to 32 letters and digits, required with callback_url");
  }
  if (a.mode != PushMode::kPlain) {
    if (auto key = wechat::decode_encoding_aes_key(a.encoding_aes_key); !key) {
      problems.push_back("encoding_aes_key: " + key.error().message + " (43 characters, needed in " + mode + " mode)");
    }
  }
  if (!problems.empty()) {
    std::string msg = "invalid account:";
    for (const auto& p : problems) msg += "\n  " + p;
    return unexpected(ErrorCode::kInvalidArgument, std::move(msg));
  }
  return a;
}

Simulator::Simulator(const Clock& clock, wechat::HttpTransport& transport, SimulatorOptions options,
                     FakeClock* fake_clock)
    : clock_(clock),
      fake_clock_(fake_clock),
      options_(std::move(options)),
      rng_(options_.seed),
      tokens_(clock, rng_, options_.tokens),
      platform_(clock, rng_, options_.platform),
      push_(transport, clock, rng_, options_.push),
      pool_(std::make_unique<Pool>(options_.push_threads)) {}

Simulator::~Simulator() { pool_->pool.join(); }

void Simulator::add_account(const SimAccount& account) {
  platform_.add_account(account);
  tokens_.add_account(*platform_.account(account.appid));
}

Result<PushRecord> Simulator::act(Result<Action> action) {
  if (!action) return action.error();
  PushRecord r;
  r.action = std::move(*action);
  if (!r.action.xml.empty()) {
    if (auto account = platform_.account(r.action.appid)) r.delivery = push_.deliver(*account, r.action.openid, r.action.xml);
  }
  std::lock_guard lock(mu_);
  r.seq = next_seq_++;
  log_.push_back(r);
  while (log_.size() > options_.push_log_limit) log_.pop_front();
  return r;
}

std::vector<PushRecord> Simulator::pushes(std::string_view appid, std::uint64_t since) const {
  std::lock_guard lock(mu_);
  std::vector<PushRecord> out;
  for (const auto& r : log_) {
    if (r.seq > since && r.action.appid == appid) out.push_back(r);
  }
  return out;
}

Result<std::string> Simulator::image(std::string_view ticket) {
  QRSCENE_ASSIGN_OR_RETURN(SimTicket t, platform_.ticket(ticket));
  {
    std::lock_guard lock(mu_);
    if (auto it = images_.find(t.ticket); it != images_.end()) return it->second;
  }
  QRSCENE_ASSIGN_OR_RETURN(auto matrix, qr::encode(t.url, qr::Ecc::kMedium));
  QRSCENE_ASSIGN_OR_RETURN(auto gray, qr::rasterize(matrix, options_.image_size, 2));
  QRSCENE_ASSIGN_OR_RETURN(auto jpeg, qr::encode_jpeg(gray, 90));
  std::lock_guard lock(mu_);
  images_[t.ticket] = jpeg;
  return jpeg;
}

Result<LoadReport> Simulator::run_load(const LoadOptions& o) {
  if (!platform_.account(o.appid)) return unexpected(ErrorCode::kNotFound, "no account " + o.appid);
  if (o.users < 1 || o.actions < 1 || o.threads < 1 || o.rate < 0 || o.zipf < 0 || o.follow_probability < 0 ||
      o.follow_probability > 1 || o.unfollow_probability < 0 || o.unfollow_probability > 1 ||
      o.template_pushes < 0 || o.template_rate < 0 || o.template_threads < 1 || o.template_followers < 1 ||
      o.template_followers > 1'000'000) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "load: users, actions, threads and template_threads must be ≥ 1; template_followers 1..1000000; "
                      "rate, template_rate, template_pushes and zipf ≥ 0; probabilities within 0..1");
  }
  std::vector<std::string> tickets = o.tickets;
  if (tickets.empty()) {
    const auto now = clock_.unix_seconds();
    for (const auto& t : platform_.tickets(o.appid)) {
      if (t.permanent || now < t.created + t.expire_seconds) tickets.push_back(t.ticket);
    }
  }
  if (tickets.empty()) return unexpected(ErrorCode::kFailedPrecondition, "load: the account has no live QR codes to scan");
  QRSCENE_ASSIGN_OR_RETURN(auto users, platform_.create_users(o.appid, o.users));

  // Zipf weights over the tickets, in the order given: ticket k has weight 1 / k^s.
  std::vector<double> cumulative(tickets.size());
  double sum = 0;
  for (std::size_t k = 0; k < tickets.size(); ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), o.zipf);
    cumulative[k] = sum;
  }
  // The plan is drawn up front from the seeded generator, so a run is the same for a seed;
  // each user's actions go to one worker, in order.
  struct Step {
    std::size_t user;
    std::size_t ticket;
    double roll;
  };
  std::vector<Step> plan(static_cast<std::size_t>(o.actions));
  for (auto& s : plan) {
    s.user = rng_.below(users.size());
    const double x = rng_.unit() * sum;
    s.ticket = static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
    s.ticket = std::min(s.ticket, tickets.size() - 1);
    s.roll = rng_.unit();
  }

  std::vector<SimUser> recipients;
  if (o.template_pushes > 0) {
    QRSCENE_ASSIGN_OR_RETURN(recipients, platform_.create_users(o.appid, o.template_followers, {}, /*following=*/true));
  }

  LoadReport report;
  std::mutex report_mu;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.max_seconds);
  // Counts one delivery (report_mu held).
  auto tally = [&report](const PushRecord& r) {
    ++report.pushes_sent;
    ++report.by_event[r.action.event];
    if (r.delivery.attempts.size() > 1) ++report.retried;
    for (const auto& a : r.delivery.attempts) {
      report.slowest_ms = std::max(report.slowest_ms, a.elapsed_ms);
      if (a.elapsed_ms >= 5000) ++report.over_5s;
    }
    const auto out = r.delivery.outcome;
    if (out == Delivery::Outcome::kReplied || out == Delivery::Outcome::kNothing) {
      ++report.answered;
    } else if (out != Delivery::Outcome::kNotPushed) {
      ++report.failed;
      if (out == Delivery::Outcome::kMarkFailed) ++report.markfailed;
    }
  };
  auto pace = [&start](std::int64_t i, double rate) {
    if (rate <= 0) return;
    std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                              std::chrono::duration<double>(static_cast<double>(i) / rate)));
  };
  auto template_worker = [&](int w) {
    for (std::int64_t i = w; i < o.template_pushes; i += o.template_threads) {
      pace(i, o.template_rate);
      if (std::chrono::steady_clock::now() > deadline) return;
      const SimUser& u = recipients[static_cast<std::size_t>(i) % recipients.size()];
      auto r = act(platform_.template_send_finished(o.appid, u.openid));
      if (!r || r->action.xml.empty()) continue;
      std::lock_guard lock(report_mu);
      ++report.template_pushes;
      tally(*r);
    }
  };
  auto worker = [&](int w) {
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const Step& s = plan[i];
      if (s.user % static_cast<std::size_t>(o.threads) != static_cast<std::size_t>(w)) continue;
      pace(static_cast<std::int64_t>(i), o.rate);
      if (std::chrono::steady_clock::now() > deadline) return;
      const SimUser& u = users[s.user];
      auto now_following = platform_.user(o.appid, u.openid);
      Result<Action> action = now_following && now_following->subscribed && s.roll < o.unfollow_probability
                                  ? platform_.unfollow(o.appid, u.openid)
                                  : platform_.scan(o.appid, u.openid, tickets[s.ticket],
                                                   s.roll < o.follow_probability);
      auto r = act(std::move(action));
      std::lock_guard lock(report_mu);
      ++report.actions;
      if (!r || r->action.xml.empty()) continue;
      tally(*r);
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < o.threads; ++w) threads.emplace_back(worker, w);
  if (o.template_pushes > 0) {
    for (int w = 0; w < o.template_threads; ++w) threads.emplace_back(template_worker, w);
  }
  for (auto& t : threads) t.join();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

Status Simulator::save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return unexpected(ErrorCode::kUnavailable, "cannot write " + tmp);
    Json state = platform_.to_json();
    state["seed"] = rng_.seed();
    out << state.dump(1);
    out.flush();
    if (!out) return unexpected(ErrorCode::kUnavailable, "cannot write " + tmp + " (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return unexpected(ErrorCode::kUnavailable, "cannot replace " + path);
  return {};
}

Status Simulator::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(ErrorCode::kNotFound, "cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  Json state = Json::parse(buf.str(), nullptr, false);
  if (state.is_discarded()) return unexpected(ErrorCode::kInvalidArgument, path + " is not JSON");
  QRSCENE_TRY(platform_.from_json(state));
  for (const auto& a : platform_.accounts()) tokens_.add_account(a);
  return {};
}

// --- routes ----------------------------------------------------------------------------------------

void Simulator::add_fault(ApiFault fault) {
  std::lock_guard lock(mu_);
  fault.hits = 0;
  faults_.push_back(std::move(fault));
}

void Simulator::clear_faults() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

std::vector<ApiFault> Simulator::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

std::optional<ApiFault> Simulator::take_fault(std::string_view path) {
  std::lock_guard lock(mu_);
  for (auto& f : faults_) {
    if (!f.path.empty() && f.path != path) continue;
    if (f.times >= 0 && f.hits >= f.times) continue;
    ++f.hits;
    return f;
  }
  return std::nullopt;
}

void Simulator::add_routes(net::Router& router) {
  using ApiFn = std::function<Result<Json>(const std::string& appid, const HttpRequest&, const Json& body)>;
  // An API host route: token checked, body parsed (POST), the other verb answered 43001/43002.
  auto api = [this, &router](std::string method, std::string path, ApiFn fn, bool needs_body = true) {
    const bool post = method == "POST";
    router.add(method, path, [this, fn, post, needs_body, path](HttpRequest& req) -> asio::awaitable<HttpResponse> {
      const auto now = clock_.unix_seconds();
      auto fault = answer_fault(take_fault(path), rng_, now);
      if (auto answer = co_await std::move(fault); answer) co_return std::move(*answer);
      auto appid = tokens_.check(req.query_param("access_token"));
      if (!appid) co_return wx_fail(appid.error(), rng_, now);
      Json body = Json::object();
      if (post && needs_body) {
        if (req.body.empty()) co_return wx_fail(wx_error(44002), rng_, now);
        body = Json::parse(req.body, nullptr, false);
        if (body.is_discarded()) co_return wx_fail(wx_error(47001), rng_, now);
      }
      auto result = fn(*appid, req, body);
      if (!result) co_return wx_fail(result.error(), rng_, now);
      co_return wx_ok(*result);
    });
    router.add(post ? "GET" : "POST", path, [this, post](HttpRequest&) -> asio::awaitable<HttpResponse> {
      co_return wx_fail(wx_error(post ? 43002 : 43001), rng_, clock_.unix_seconds());
    });
  };

  // Tokens.
  router.add("GET", "/cgi-bin/token", [this](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    auto g = tokens_.classic(req.query_param("grant_type"), req.query_param("appid"), req.query_param("secret"),
                             req.remote_ip);
    if (!g) co_return wx_fail(g.error(), rng_, clock_.unix_seconds());
    co_return wx_ok(Json{{"access_token", g->access_token}, {"expires_in", g->expires_in}});
  });
  router.add("POST", "/cgi-bin/token", [this](HttpRequest&) -> asio::awaitable<HttpResponse> {
    co_return wx_fail(wx_error(43001), rng_, clock_.unix_seconds());
  });
  router.add("POST", "/cgi-bin/stable_token", [this](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    const auto now = clock_.unix_seconds();
    if (req.body.empty()) co_return wx_fail(wx_error(44002), rng_, now);
    Json b = Json::parse(req.body, nullptr, false);
    if (b.is_discarded() || !b.is_object()) co_return wx_fail(wx_error(47001), rng_, now);
    auto s = [&b](const char* k) { return b.contains(k) && b[k].is_string() ? b[k].get<std::string>() : std::string(); };
    const bool force = b.contains("force_refresh") && b["force_refresh"].is_boolean() && b["force_refresh"].get<bool>();
    auto g = tokens_.stable(s("grant_type"), s("appid"), s("secret"), force, req.remote_ip);
    if (!g) co_return wx_fail(g.error(), rng_, now);
    co_return wx_ok(Json{{"access_token", g->access_token}, {"expires_in", g->expires_in}});
  });
  router.add("GET", "/cgi-bin/stable_token", [this](HttpRequest&) -> asio::awaitable<HttpResponse> {
    co_return wx_fail(wx_error(43002), rng_, clock_.unix_seconds());
  });

  // QR codes and the image host.
  api("POST", "/cgi-bin/qrcode/create",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.qrcode_create(appid, b); });
  router.add("GET", "/cgi-bin/showqrcode", [this](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    auto fault = answer_fault(take_fault("/cgi-bin/showqrcode"), rng_, clock_.unix_seconds());
    if (auto answer = co_await std::move(fault); answer) co_return std::move(*answer);
    auto task = net::on_blocking(pool_->pool, [this, ticket = req.query_param("ticket")] {
      HttpResponse r;
      auto bytes = image(ticket);
      if (!bytes) {
        r.status = 404;  // WeChat answers an unknown ticket with a bare 404, no JSON
        r.content_type = "text/html";
        r.body = "<html><head><title>404 Not Found</title></head><body>404 Not Found</body></html>";
        return r;
      }
      const auto now = clock_.unix_seconds();
      r.content_type = "image/jpg";  // sic: WeChat's own header
      r.body = std::move(*bytes);
      r.headers = {{"Accept-Ranges", "bytes"},
                   {"Cache-control", "max-age=604800"},
                   {"Date", http_date(now)},
                   {"Expires", http_date(now + 604800)}};
      return r;
    });
    HttpResponse response = co_await std::move(task);
    co_return response;
  });

  // Users.
  api("GET", "/cgi-bin/user/info", [this](const std::string& appid, const HttpRequest& req, const Json&) {
    return platform_.user_info(appid, req.query_param("openid"), req.query_param("lang"));
  });
  api("POST", "/cgi-bin/user/info/batchget", [this](const std::string& appid, const HttpRequest&, const Json& b) {
    return platform_.user_info_batchget(appid, b);
  });
  api("GET", "/cgi-bin/user/get", [this](const std::string& appid, const HttpRequest& req, const Json&) {
    return platform_.user_get(appid, req.query_param("next_openid"));
  });
  api("POST", "/cgi-bin/user/info/updateremark",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.update_remark(appid, b); });

  // Tags.
  api("POST", "/cgi-bin/tags/create",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.tags_create(appid, b); });
  api("GET", "/cgi-bin/tags/get",
      [this](const std::string& appid, const HttpRequest&, const Json&) { return platform_.tags_get(appid); });
  api("POST", "/cgi-bin/tags/update",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.tags_update(appid, b); });
  api("POST", "/cgi-bin/tags/delete",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.tags_delete(appid, b); });
  api("POST", "/cgi-bin/tags/members/batchtagging", [this](const std::string& appid, const HttpRequest&, const Json& b) {
    return platform_.tags_members(appid, b, true);
  });
  api("POST", "/cgi-bin/tags/members/batchuntagging",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.tags_members(appid, b, false); });
  api("POST", "/cgi-bin/tags/getidlist",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.tags_getidlist(appid, b); });
  api("POST", "/cgi-bin/user/tag/get",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.user_tag_get(appid, b); });

  // Menus.
  api("POST", "/cgi-bin/menu/create",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.menu_create(appid, b); });
  api("GET", "/cgi-bin/menu/get",
      [this](const std::string& appid, const HttpRequest&, const Json&) { return platform_.menu_get(appid); });
  api("GET", "/cgi-bin/menu/delete",
      [this](const std::string& appid, const HttpRequest&, const Json&) { return platform_.menu_delete(appid); });
  api("GET", "/cgi-bin/get_current_selfmenu_info",
      [this](const std::string& appid, const HttpRequest&, const Json&) { return platform_.current_selfmenu_info(appid); });

  // Messages, statistics, quota.
  api("POST", "/cgi-bin/message/custom/send",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.custom_send(appid, b); });
  api("POST", "/datacube/getusersummary",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.datacube(appid, b, false); });
  api("POST", "/datacube/getusercumulate",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.datacube(appid, b, true); });
  api("POST", "/cgi-bin/clear_quota",
      [this](const std::string& appid, const HttpRequest&, const Json& b) { return platform_.clear_quota(appid, b); });

  // --- control API ---
  using ControlFn = std::function<Result<Json>(HttpRequest&, const Json& body)>;
  auto control = [this, &router](std::string method, std::string path, ControlFn fn) {
    router.add(std::move(method), std::move(path), [this, fn](HttpRequest& req) -> asio::awaitable<HttpResponse> {
      auto task = net::on_blocking(pool_->pool, [&req, &fn] {
        auto body = control_body(req);
        if (!body) return HttpResponse::error(body.error());
        auto r = fn(req, *body);
        if (!r) return HttpResponse::error(r.error());
        return HttpResponse::json(200, r->dump());
      });
      HttpResponse response = co_await std::move(task);
      co_return response;
    });
  };
  auto record = [](Result<PushRecord> r) -> Result<Json> {
    if (!r) return r.error();
    return record_json(*r);
  };
  auto str = [](const Json& b, const char* k) {
    return b.contains(k) && b[k].is_string() ? b[k].get<std::string>() : std::string();
  };

  control("POST", "/sim/faults", [this](HttpRequest&, const Json& b) -> Result<Json> {
    ApiFault f;
    std::vector<std::string> problems;
    for (const auto& [key, value] : b.items()) {
      if (key == "path" && value.is_string()) {
        f.path = value.get<std::string>();
      } else if (key == "errcode" && value.is_number_integer()) {
        f.errcode = value.get<int>();
      } else if (key == "status" && value.is_number_unsigned() && value.get<unsigned>() >= 100 && value.get<unsigned>() < 600) {
        f.status = value.get<unsigned>();
      } else if (key == "malformed" && value.is_boolean()) {
        f.malformed = value.get<bool>();
      } else if (key == "delay_ms" && value.is_number_unsigned()) {
        f.delay_ms = value.get<std::int64_t>();
      } else if (key == "times" && value.is_number_integer() && value.get<std::int64_t>() >= -1) {
        f.times = value.get<std::int64_t>();
      } else {
        problems.push_back(fmt::format("{}: not a fault field, or a bad value", key));
      }
    }
    if (!problems.empty()) return unexpected(ErrorCode::kInvalidArgument, fmt::format("{}", fmt::join(problems, "; ")));
    add_fault(std::move(f));
    Json list = Json::array();
    for (const auto& x : faults()) list.push_back(fault_json(x));
    return Json{{"faults", list}};
  });
  control("GET", "/sim/faults", [this](HttpRequest&, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& x : faults()) list.push_back(fault_json(x));
    return Json{{"faults", list}};
  });
  control("DELETE", "/sim/faults", [this](HttpRequest&, const Json&) -> Result<Json> {
    clear_faults();
    return Json{{"faults", Json::array()}};
  });
  control("GET", "/sim/health", [this](HttpRequest&, const Json&) -> Result<Json> {
    return Json{{"ok", true}, {"seed", rng_.seed()}, {"time", clock_.unix_seconds()}};
  });
  control("GET", "/sim/accounts", [this](HttpRequest&, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& a : platform_.accounts()) list.push_back(account_json(a));
    return Json{{"accounts", list}};
  });
  control("POST", "/sim/accounts", [this](HttpRequest&, const Json& b) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto account, account_from_json(b));
    add_account(account);
    return account_json(*platform_.account(account.appid));
  });
  control("POST", "/sim/accounts/{appid}/verify-url", [this](HttpRequest& req, const Json&) -> Result<Json> {
    auto account = platform_.account(req.path_param("appid"));
    if (!account) return unexpected(ErrorCode::kNotFound, "no account " + std::string(req.path_param("appid")));
    QRSCENE_TRY(push_.verify_url(*account));
    return Json{{"verified", true}};
  });
  control("POST", "/sim/accounts/{appid}/users", [this, str](HttpRequest& req, const Json& b) -> Result<Json> {
    const int count = b.contains("count") && b["count"].is_number_integer() ? b["count"].get<int>() : 1;
    QRSCENE_ASSIGN_OR_RETURN(auto users, platform_.create_users(req.path_param("appid"), count, str(b, "openid")));
    Json list = Json::array();
    for (const auto& u : users) list.push_back(user_json(u));
    return Json{{"users", list}};
  });
  control("GET", "/sim/accounts/{appid}/users", [this](HttpRequest& req, const Json&) -> Result<Json> {
    if (!platform_.account(req.path_param("appid"))) return unexpected(ErrorCode::kNotFound, "no such account");
    Json list = Json::array();
    for (const auto& u : platform_.users(req.path_param("appid"))) list.push_back(user_json(u));
    return Json{{"users", list}};
  });
  control("GET", "/sim/accounts/{appid}/users/{openid}", [this](HttpRequest& req, const Json&) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto u, platform_.user(req.path_param("appid"), req.path_param("openid")));
    return user_json(u);
  });
  control("GET", "/sim/accounts/{appid}/users/{openid}/messages", [this](HttpRequest& req, const Json&) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto u, platform_.user(req.path_param("appid"), req.path_param("openid")));
    Json list = Json::array();
    for (const auto& m : platform_.received(u.appid, u.openid)) list.push_back({{"time", m.time}, {"message", m.message}});
    return Json{{"messages", list}};
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/scan", [this, record, str](HttpRequest& req, const Json& b) -> Result<Json> {
    std::string target = str(b, "ticket");
    if (target.empty()) target = str(b, "url");
    std::string image_bytes;
    if (const auto b64 = str(b, "image_base64"); !b64.empty()) {
      auto bytes = decode_base64(b64);
      if (!bytes) return unexpected(ErrorCode::kInvalidArgument, "image_base64: not valid base64");
      image_bytes = std::move(*bytes);
    } else if (const auto file = str(b, "image_file"); !file.empty()) {
      std::ifstream in(file, std::ios::binary);
      if (!in) return unexpected(ErrorCode::kNotFound, "image_file: cannot read " + file);
      std::stringstream buf;
      buf << in.rdbuf();
      image_bytes = buf.str();
    }
    if (!image_bytes.empty()) {
      // Scanning an image: decode it as a phone would; the code must hold a url of ours.
      QRSCENE_ASSIGN_OR_RETURN(auto gray, qr::decode_image(image_bytes));
      QRSCENE_ASSIGN_OR_RETURN(auto texts, qr::scan(gray));
      target = texts.front();
    }
    if (target.empty()) return unexpected(ErrorCode::kInvalidArgument, "give ticket, url, image_base64 or image_file");
    const bool follow = !b.contains("follow") || (b["follow"].is_boolean() && b["follow"].get<bool>());
    return record(act(platform_.scan(req.path_param("appid"), req.path_param("openid"), target, follow)));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/follow", [this, record, str](HttpRequest& req, const Json& b) {
    return record(act(platform_.follow(req.path_param("appid"), req.path_param("openid"), str(b, "scene"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/unfollow", [this, record](HttpRequest& req, const Json&) {
    return record(act(platform_.unfollow(req.path_param("appid"), req.path_param("openid"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/click", [this, record, str](HttpRequest& req, const Json& b) {
    return record(act(platform_.click(req.path_param("appid"), req.path_param("openid"), str(b, "key"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/view", [this, record, str](HttpRequest& req, const Json& b) {
    return record(act(platform_.view(req.path_param("appid"), req.path_param("openid"), str(b, "url"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/location", [this, record](HttpRequest& req, const Json& b) {
    auto num = [&b](const char* k, double d) { return b.contains(k) && b[k].is_number() ? b[k].get<double>() : d; };
    return record(act(platform_.location(req.path_param("appid"), req.path_param("openid"), num("latitude", 23.137466),
                                         num("longitude", 113.352425), num("precision", 119.385040))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/text", [this, record, str](HttpRequest& req, const Json& b) {
    return record(act(platform_.text(req.path_param("appid"), req.path_param("openid"), str(b, "content"))));
  });
  control("GET", "/sim/accounts/{appid}/token-requests", [this](HttpRequest& req, const Json&) -> Result<Json> {
    const std::string appid(req.path_param("appid"));
    return Json{{"requests", tokens_.requests(appid)}, {"issued", tokens_.issued(appid)}};
  });
  control("GET", "/sim/accounts/{appid}/tickets", [this](HttpRequest& req, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& t : platform_.tickets(req.path_param("appid"))) {
      list.push_back({{"ticket", t.ticket}, {"url", t.url}, {"action_name", t.action_name}, {"scene", t.scene()},
                      {"permanent", t.permanent}, {"created", t.created}, {"expire_seconds", t.expire_seconds}});
    }
    return Json{{"tickets", list}};
  });
  control("GET", "/sim/accounts/{appid}/pushes", [this](HttpRequest& req, const Json&) -> Result<Json> {
    std::uint64_t since = 0;
    if (const auto s = req.query_param("since"); !s.empty()) {
      if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) {
        return unexpected(ErrorCode::kInvalidArgument, "since: a push sequence number");
      }
      since = std::stoull(s);
    }
    Json list = Json::array();
    for (const auto& r : pushes(req.path_param("appid"), since)) list.push_back(record_json(r));
    return Json{{"pushes", list}};
  });
  control("POST", "/sim/accounts/{appid}/load", [this](HttpRequest& req, const Json& b) -> Result<Json> {
    LoadOptions o;
    o.appid = std::string(req.path_param("appid"));
    try {
      o.users = b.value("users", o.users);
      o.actions = b.value("actions", o.actions);
      o.rate = b.value("rate", o.rate);
      o.zipf = b.value("zipf", o.zipf);
      o.follow_probability = b.value("follow_probability", o.follow_probability);
      o.unfollow_probability = b.value("unfollow_probability", o.unfollow_probability);
      o.tickets = b.value("tickets", o.tickets);
      o.threads = b.value("threads", o.threads);
      o.max_seconds = b.value("max_seconds", o.max_seconds);
      o.template_pushes = b.value("template_pushes", o.template_pushes);
      o.template_rate = b.value("template_rate", o.template_rate);
      o.template_threads = b.value("template_threads", o.template_threads);
      o.template_followers = b.value("template_followers", o.template_followers);
    } catch (const Json::exception& e) {
      return unexpected(ErrorCode::kInvalidArgument, std::string("load options: ") + e.what());
    }
    QRSCENE_ASSIGN_OR_RETURN(auto report, run_load(o));
    return to_json(report);
  });
  control("POST", "/sim/clock", [this](HttpRequest&, const Json& b) -> Result<Json> {
    if (fake_clock_ == nullptr) {
      return unexpected(ErrorCode::kFailedPrecondition, "the clock is real; start the simulator with --fake-clock to move it");
    }
    if (b.contains("advance_seconds") && b["advance_seconds"].is_number_integer()) {
      fake_clock_->advance(std::chrono::seconds(b["advance_seconds"].get<std::int64_t>()));
    } else if (b.contains("unix_seconds") && b["unix_seconds"].is_number_integer()) {
      fake_clock_->set_unix_seconds(b["unix_seconds"].get<std::int64_t>());
    } else {
      return unexpected(ErrorCode::kInvalidArgument, "give advance_seconds or unix_seconds (integers)");
    }
    return Json{{"time", clock_.unix_seconds()}};
  });
  control("POST", "/sim/save", [this, str](HttpRequest&, const Json& b) -> Result<Json> {
    const std::string path = str(b, "path");
    if (path.empty()) return unexpected(ErrorCode::kInvalidArgument, "path: the file to save the state to");
    QRSCENE_TRY(save(path));
    return Json{{"saved", path}};
  });
}

}  // namespace qrscene::sim
