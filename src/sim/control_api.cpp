// The simulator's control API (/sim/…, simulator.h): faults, accounts, virtual users and their
// actions, what they received, templates and media files, the push log, the load mode, the clock
// and saving the state. Every call runs on the simulator's thread pool; its body is a JSON object
// ({} when empty) and its errors are qrscene's own (HttpResponse::error), not WeChat's.
#include "sim/simulator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <string>
#include <utility>
#include <vector>

#include "base/encoding.h"
#include "net/asio.h"
#include "net/blocking.h"
#include "qr/qr_code.h"
#include "sim/api_host.h"
#include "sim/fission.h"

namespace qrscene::sim {
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

// A user's action as the control API answers it: its push record, or the error.
Result<Json> record(Result<PushRecord> r) {
  if (!r) return r.error();
  return record_json(*r);
}

// A string member of a control API body, or "".
std::string str(const Json& b, const char* k) {
  return b.contains(k) && b[k].is_string() ? b[k].get<std::string>() : std::string();
}

Json template_json(const SimTemplate& t) {
  return Json{{"template_id", t.template_id}, {"title", t.title}, {"content", t.content}, {"example", t.example},
              {"primary_industry", t.primary_industry}, {"deputy_industry", t.deputy_industry}};
}

// A control API route's answer from the request and its body.
using ControlFn = std::function<Result<Json>(HttpRequest&, const Json& body)>;
// The same for a route that may answer something other than JSON (a media file's bytes).
using RawControlFn = std::function<Result<HttpResponse>(HttpRequest&, const Json& body)>;

// Adds control API routes: each call runs on `pool`, its body read by control_body.
class ControlRoutes {
 public:
  ControlRoutes(net::Router& router, asio::thread_pool& pool) : router_(router), pool_(pool) {}

  void operator()(std::string method, std::string path, ControlFn fn) {
    raw(std::move(method), std::move(path), [fn = std::move(fn)](HttpRequest& req, const Json& body) -> Result<HttpResponse> {
      auto r = fn(req, body);
      if (!r) return std::move(r).error();
      return HttpResponse::json(200, r->dump());
    });
  }

  void raw(std::string method, std::string path, RawControlFn fn) {
    router_.add(std::move(method), std::move(path),
                [&pool = pool_, fn](HttpRequest& req) -> asio::awaitable<HttpResponse> {
                  auto task = net::on_blocking(pool, [&req, &fn] {
                    auto body = control_body(req);
                    if (!body) return HttpResponse::error(body.error());
                    auto r = fn(req, *body);
                    if (!r) return HttpResponse::error(r.error());
                    return std::move(*r);
                  });
                  HttpResponse response = co_await std::move(task);
                  co_return response;
                });
  }

 private:
  net::Router& router_;
  asio::thread_pool& pool_;
};

// /sim/faults: add, list and clear the API host's faults.
void add_fault_routes(ControlRoutes& control, Simulator& sim) {
  control("POST", "/sim/faults", [&sim](HttpRequest&, const Json& b) -> Result<Json> {
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
    sim.add_fault(std::move(f));
    Json list = Json::array();
    for (const auto& x : sim.faults()) list.push_back(fault_json(x));
    return Json{{"faults", list}};
  });
  control("GET", "/sim/faults", [&sim](HttpRequest&, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& x : sim.faults()) list.push_back(fault_json(x));
    return Json{{"faults", list}};
  });
  control("DELETE", "/sim/faults", [&sim](HttpRequest&, const Json&) -> Result<Json> {
    sim.clear_faults();
    return Json{{"faults", Json::array()}};
  });
}

// The accounts and their virtual users.
void add_account_routes(ControlRoutes& control, Simulator& sim) {
  control("GET", "/sim/accounts", [&sim](HttpRequest&, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& a : sim.platform().accounts()) list.push_back(account_json(a));
    return Json{{"accounts", list}};
  });
  control("POST", "/sim/accounts", [&sim](HttpRequest&, const Json& b) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto account, account_from_json(b));
    sim.add_account(account);
    return account_json(*sim.platform().account(account.appid));
  });
  control("POST", "/sim/accounts/{appid}/verify-url", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    auto account = sim.platform().account(req.path_param("appid"));
    if (!account) return unexpected(ErrorCode::kNotFound, "no account " + std::string(req.path_param("appid")));
    QRSCENE_TRY(sim.push_engine().verify_url(*account));
    return Json{{"verified", true}};
  });
  control("POST", "/sim/accounts/{appid}/users", [&sim](HttpRequest& req, const Json& b) -> Result<Json> {
    const int count = b.contains("count") && b["count"].is_number_integer() ? b["count"].get<int>() : 1;
    QRSCENE_ASSIGN_OR_RETURN(auto users, sim.platform().create_users(req.path_param("appid"), count, str(b, "openid")));
    Json list = Json::array();
    for (const auto& u : users) list.push_back(user_json(u));
    return Json{{"users", list}};
  });
  control("GET", "/sim/accounts/{appid}/users", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    if (!sim.platform().account(req.path_param("appid"))) return unexpected(ErrorCode::kNotFound, "no such account");
    Json list = Json::array();
    for (const auto& u : sim.platform().users(req.path_param("appid"))) list.push_back(user_json(u));
    return Json{{"users", list}};
  });
  control("GET", "/sim/accounts/{appid}/users/{openid}", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto u, sim.platform().user(req.path_param("appid"), req.path_param("openid")));
    return user_json(u);
  });
  control("GET", "/sim/accounts/{appid}/users/{openid}/messages", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto u, sim.platform().user(req.path_param("appid"), req.path_param("openid")));
    Json list = Json::array();
    for (const auto& m : sim.platform().received(u.appid, u.openid)) {
      Json entry{{"time", m.time}, {"message", m.message}};
      // The file of an image (voice, video) message, as the user got it.
      if (m.media) entry[m.message.value("msgtype", "image") + "_base64"] = encode_base64(*m.media);
      list.push_back(std::move(entry));
    }
    return Json{{"messages", list}};
  });
}

// The account's templates and temporary media files.
void add_template_and_media_routes(ControlRoutes& control, Simulator& sim) {
  control("POST", "/sim/accounts/{appid}/templates", [&sim](HttpRequest& req, const Json& b) -> Result<Json> {
    for (const auto& [key, value] : b.items()) {
      if (!value.is_string()) return unexpected(ErrorCode::kInvalidArgument, key + ": must be a string");
    }
    SimTemplate t;
    t.template_id = str(b, "template_id");
    t.title = str(b, "title");
    t.content = str(b, "content");
    t.example = str(b, "example");
    t.primary_industry = str(b, "primary_industry");
    t.deputy_industry = str(b, "deputy_industry");
    QRSCENE_ASSIGN_OR_RETURN(auto added, sim.platform().add_template(req.path_param("appid"), std::move(t)));
    return template_json(added);
  });
  control("GET", "/sim/accounts/{appid}/templates", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    QRSCENE_ASSIGN_OR_RETURN(auto list, sim.platform().templates(req.path_param("appid")));
    Json out = Json::array();
    for (const auto& t : list) out.push_back(template_json(t));
    return Json{{"templates", out}};
  });
  control.raw("GET", "/sim/accounts/{appid}/media/{media_id}", [&sim](HttpRequest& req, const Json&) -> Result<HttpResponse> {
    QRSCENE_ASSIGN_OR_RETURN(auto m, sim.platform().media(req.path_param("appid"), req.path_param("media_id")));
    if (req.query_param("raw") == "1") {
      if (!m.bytes) return unexpected(ErrorCode::kNotFound, "media " + m.media_id + " has expired; its bytes are gone");
      HttpResponse r;
      r.content_type = m.content_type;
      r.body = *m.bytes;
      return r;
    }
    const std::int64_t expires_at = sim.platform().media_expires_at(m);
    Json j{{"media_id", m.media_id},
           {"type", m.type},
           {"filename", m.filename},
           {"format", m.format},
           {"content_type", m.content_type},
           {"created_at", m.created_at},
           {"expires_at", expires_at},
           {"expired", sim.platform().clock().unix_seconds() >= expires_at}};
    if (m.bytes) {
      j["size"] = m.bytes->size();
      j["base64"] = encode_base64(*m.bytes);
    }
    return HttpResponse::json(200, j.dump());
  });
}

// The virtual users' actions, each pushed before the call returns.
void add_action_routes(ControlRoutes& control, Simulator& sim) {
  control("POST", "/sim/accounts/{appid}/users/{openid}/scan", [&sim](HttpRequest& req, const Json& b) -> Result<Json> {
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
    return record(sim.act(sim.platform().scan(req.path_param("appid"), req.path_param("openid"), target, follow)));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/follow", [&sim](HttpRequest& req, const Json& b) {
    return record(sim.act(sim.platform().follow(req.path_param("appid"), req.path_param("openid"), str(b, "scene"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/unfollow", [&sim](HttpRequest& req, const Json&) {
    return record(sim.act(sim.platform().unfollow(req.path_param("appid"), req.path_param("openid"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/click", [&sim](HttpRequest& req, const Json& b) {
    return record(sim.act(sim.platform().click(req.path_param("appid"), req.path_param("openid"), str(b, "key"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/view", [&sim](HttpRequest& req, const Json& b) {
    return record(sim.act(sim.platform().view(req.path_param("appid"), req.path_param("openid"), str(b, "url"))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/location", [&sim](HttpRequest& req, const Json& b) {
    auto num = [&b](const char* k, double d) { return b.contains(k) && b[k].is_number() ? b[k].get<double>() : d; };
    return record(sim.act(sim.platform().location(req.path_param("appid"), req.path_param("openid"),
                                                  num("latitude", 23.137466), num("longitude", 113.352425),
                                                  num("precision", 119.385040))));
  });
  control("POST", "/sim/accounts/{appid}/users/{openid}/text", [&sim](HttpRequest& req, const Json& b) {
    return record(sim.act(sim.platform().text(req.path_param("appid"), req.path_param("openid"), str(b, "content"))));
  });
}

// What the simulator recorded: token requests, tickets and pushes.
void add_log_routes(ControlRoutes& control, Simulator& sim) {
  control("GET", "/sim/accounts/{appid}/token-requests", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    const std::string appid(req.path_param("appid"));
    return Json{{"requests", sim.tokens().requests(appid)}, {"issued", sim.tokens().issued(appid)}};
  });
  control("GET", "/sim/accounts/{appid}/tickets", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    Json list = Json::array();
    for (const auto& t : sim.platform().tickets(req.path_param("appid"))) {
      list.push_back({{"ticket", t.ticket}, {"url", t.url}, {"action_name", t.action_name}, {"scene", t.scene()},
                      {"permanent", t.permanent}, {"created", t.created}, {"expire_seconds", t.expire_seconds}});
    }
    return Json{{"tickets", list}};
  });
  control("GET", "/sim/accounts/{appid}/pushes", [&sim](HttpRequest& req, const Json&) -> Result<Json> {
    std::uint64_t since = 0;
    if (const auto s = req.query_param("since"); !s.empty()) {
      if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) {
        return unexpected(ErrorCode::kInvalidArgument, "since: a push sequence number");
      }
      since = std::stoull(s);
    }
    Json list = Json::array();
    for (const auto& r : sim.pushes(req.path_param("appid"), since)) list.push_back(record_json(r));
    return Json{{"pushes", list}};
  });
}

// The load mode.
void add_load_route(ControlRoutes& control, Simulator& sim) {
  control("POST", "/sim/accounts/{appid}/load", [&sim](HttpRequest& req, const Json& b) -> Result<Json> {
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
    QRSCENE_ASSIGN_OR_RETURN(auto report, sim.run_load(o));
    return to_json(report);
  });
}

// The fission load mode: a campaign's crowd against a running qrscene, which sends the posters
// (sim/fission.h). Each round waits up to wait_seconds for posters to arrive before sharing them.
void add_fission_route(ControlRoutes& control, Simulator& sim) {
  control("POST", "/sim/accounts/{appid}/fission", [&sim](HttpRequest& req, const Json& b) -> Result<Json> {
    FissionOptions o;
    o.appid = std::string(req.path_param("appid"));
    int rounds = 6;
    double wait_seconds = 10;
    try {
      o.keyword = b.value("keyword", o.keyword);
      o.seeds = b.value("seeds", o.seeds);
      o.max_friends = b.value("max_friends", o.max_friends);
      o.follow_probability = b.value("follow_probability", o.follow_probability);
      o.leave_probability = b.value("leave_probability", o.leave_probability);
      o.max_generation = b.value("max_generation", o.max_generation);
      o.seed = b.value("seed", o.seed);
      rounds = b.value("rounds", rounds);
      wait_seconds = b.value("wait_seconds", wait_seconds);
    } catch (const Json::exception& e) {
      return unexpected(ErrorCode::kInvalidArgument, std::string("fission options: ") + e.what());
    }
    const bool ok = !o.keyword.empty() && o.seeds >= 1 && o.seeds <= 10'000 && o.max_friends >= 0 &&
                    o.max_friends <= 50 && o.follow_probability >= 0 && o.follow_probability <= 1 &&
                    o.leave_probability >= 0 && o.leave_probability <= 1 && o.max_generation >= 1 &&
                    o.max_generation <= 10 && rounds >= 1 && rounds <= 50 && wait_seconds >= 0 && wait_seconds <= 600;
    if (!ok) {
      return unexpected(ErrorCode::kInvalidArgument,
                        "fission options: keyword non-empty, seeds 1..10000, max_friends 0..50, probabilities 0..1, "
                        "max_generation 1..10, rounds 1..50, wait_seconds 0..600");
    }
    Fission crowd(sim, o);
    QRSCENE_TRY(crowd.join());
    const auto wait = std::chrono::duration<double>(wait_seconds);
    for (int round = 0; round < rounds && crowd.waiting(); ++round) {
      const auto deadline = std::chrono::steady_clock::now() + wait;
      int scanned = 0;
      do {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        QRSCENE_ASSIGN_OR_RETURN(int n, crowd.share());
        scanned += n;
      } while (scanned == 0 && crowd.waiting() && std::chrono::steady_clock::now() < deadline);
    }
    QRSCENE_ASSIGN_OR_RETURN(int left, crowd.leave());
    const FissionModel& m = crowd.model();
    Json generations = Json::object();
    for (const auto& [g, n] : m.generations()) generations[std::to_string(g)] = n;
    return Json{{"participants", m.participants()},
                {"generations", generations},
                {"scans", m.scans},
                {"posters_seen", m.posters_seen},
                {"undecodable", m.undecodable},
                {"left", left},
                {"invites_counted", m.invites_counted()},
                {"invites_taken_back", m.invites_taken_back()}};
  });
}

}  // namespace

void Simulator::add_control_routes(net::Router& router) {
  ControlRoutes control(router, pool_->pool);
  add_fault_routes(control, *this);
  control("GET", "/sim/health", [this](HttpRequest&, const Json&) -> Result<Json> {
    return Json{{"ok", true}, {"seed", rng_.seed()}, {"time", clock_.unix_seconds()}};
  });
  add_account_routes(control, *this);
  add_template_and_media_routes(control, *this);
  add_action_routes(control, *this);
  add_log_routes(control, *this);
  add_load_route(control, *this);
  add_fission_route(control, *this);
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
  control("POST", "/sim/save", [this](HttpRequest&, const Json& b) -> Result<Json> {
    const std::string path = str(b, "path");
    if (path.empty()) return unexpected(ErrorCode::kInvalidArgument, "path: the file to save the state to");
    QRSCENE_TRY(save(path));
    return Json{{"saved", path}};
  });
}

}  // namespace qrscene::sim
