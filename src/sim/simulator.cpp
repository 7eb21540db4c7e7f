#include "sim/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "net/asio.h"
#include "net/blocking.h"
#include "qr/qr_code.h"
#include "sim/api_host.h"
#include "sim/wx_error.h"
#include "wechat/msg_crypt.h"

namespace qrscene::sim {
namespace {

using net::HttpRequest;
using net::HttpResponse;

bool valid_token(std::string_view t) {
  return t.size() >= 3 && t.size() <= 32 &&
         std::all_of(t.begin(), t.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// One step of a load run: who acts, the ticket they scan, and the roll that decides what they do.
struct Step {
  std::size_t user;
  std::size_t ticket;
  double roll;
};

// A load run's plan: `o.actions` steps over `users` users and `tickets` tickets.
std::vector<Step> draw_plan(Rng& rng, const LoadOptions& o, std::size_t users, std::size_t tickets) {
  // Zipf weights over the tickets, in the order given: ticket k has weight 1 / k^s.
  std::vector<double> cumulative(tickets);
  double sum = 0;
  for (std::size_t k = 0; k < tickets; ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), o.zipf);
    cumulative[k] = sum;
  }
  std::vector<Step> plan(static_cast<std::size_t>(o.actions));
  for (auto& s : plan) {
    s.user = rng.below(users);
    const double x = rng.unit() * sum;
    s.ticket = static_cast<std::size_t>(std::lower_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
    s.ticket = std::min(s.ticket, tickets - 1);
    s.roll = rng.unit();
  }
  return plan;
}

// Counts one delivery of a load run (under the run's report mutex).
void tally(LoadReport& report, const PushRecord& r) {
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

void Simulator::push_later(Action action) {
  asio::post(pool_->pool, [this, action = std::move(action)]() mutable { (void)act(std::move(action)); });
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

  // The plan is drawn up front from the seeded generator, so a run is the same for a seed;
  // each user's actions go to one worker, in order.
  const std::vector<Step> plan = draw_plan(rng_, o, users.size(), tickets.size());

  std::vector<SimUser> recipients;
  if (o.template_pushes > 0) {
    QRSCENE_ASSIGN_OR_RETURN(recipients, platform_.create_users(o.appid, o.template_followers, {}, /*following=*/true));
  }

  LoadReport report;
  std::mutex report_mu;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.max_seconds);
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
      tally(report, *r);
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
      tally(report, *r);
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
  ApiHost api(router, clock_, rng_, tokens_, [this](std::string_view path) { return take_fault(path); });

  // Tokens.
  router.add("GET", "/cgi-bin/token", [this](HttpRequest& req) -> asio::awaitable<HttpResponse> {
    auto g = tokens_.classic(req.query_param("grant_type"), req.query_param("appid"), req.query_param("secret"),
                             req.remote_ip);
    if (!g) co_return wx_fail(g.error(), rng_, clock_.unix_seconds());
    co_return wx_ok(Json{{"access_token", g->access_token}, {"expires_in", g->expires_in}});
  });
  api.add_wrong_verb("POST", "/cgi-bin/token", 43001);
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
  api.add_wrong_verb("GET", "/cgi-bin/stable_token", 43002);

  // QR codes and the image host.
  add_qr_routes(api, platform_);
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

  add_user_routes(api, platform_);
  add_tag_routes(api, platform_);
  add_menu_routes(api, platform_);
  // Messages, media, templates, statistics, quota.
  add_message_routes(api, platform_);
  add_media_routes(api, platform_);
  add_template_routes(api, platform_, [this](Action a) { push_later(std::move(a)); });
  add_datacube_routes(api, platform_);

  add_control_routes(router);
}

}  // namespace qrscene::sim
