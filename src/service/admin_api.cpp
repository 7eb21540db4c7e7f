#include "service/admin_api.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "base/csv.h"
#include "base/encoding.h"
#include "qr/qr_render.h"
#include "service/api_support.h"
#include "net/blocking.h"
#include "wechat/signature.h"

namespace qrscene::service {
namespace {

using nlohmann::json;
using domain::ChannelStatus;

json reply_json(const domain::ReplyChoice& r) {
  using Kind = domain::ReplyChoice::Kind;
  switch (r.kind) {
    case Kind::kNone: return json{{"kind", "none"}};
    case Kind::kText: return json{{"kind", "text"}, {"text", r.text}};
    case Kind::kImage: return json{{"kind", "image"}, {"media_id", r.media_id}};
    case Kind::kNews:
      return json{{"kind", "news"}, {"title", r.title}, {"description", r.description}, {"url", r.url},
                  {"pic_url", r.pic_url}};
  }
  return json{{"kind", "none"}};
}

// A reply from JSON: {"kind": "text", "text": "..."}; a bare string is a text reply.
Result<domain::ReplyChoice> reply_from(const json& j, std::string_view field) {
  using Kind = domain::ReplyChoice::Kind;
  domain::ReplyChoice r;
  if (j.is_null()) return r;
  if (j.is_string()) {
    r.text = j.get<std::string>();
    r.kind = r.text.empty() ? Kind::kNone : Kind::kText;
    return r;
  }
  if (!j.is_object()) return invalid(fmt::format("{}: must be an object or a string", field));
  auto text = [&](const char* key) -> Result<std::string> {
    if (!j.contains(key) || j.at(key).is_null()) return std::string();
    if (!j.at(key).is_string()) return invalid(fmt::format("{}.{}: must be a string", field, key));
    return j.at(key).get<std::string>();
  };
  QRSCENE_ASSIGN_OR_RETURN(const std::string kind, text("kind"));
  if (kind == "none" || kind.empty()) {
    r.kind = Kind::kNone;
  } else if (kind == "text") {
    r.kind = Kind::kText;
  } else if (kind == "image") {
    r.kind = Kind::kImage;
  } else if (kind == "news") {
    r.kind = Kind::kNews;
  } else {
    return invalid(fmt::format("{}.kind: must be none, text, image or news, got '{}'", field, kind));
  }
  QRSCENE_ASSIGN_OR_RETURN(r.text, text("text"));
  QRSCENE_ASSIGN_OR_RETURN(r.media_id, text("media_id"));
  QRSCENE_ASSIGN_OR_RETURN(r.title, text("title"));
  QRSCENE_ASSIGN_OR_RETURN(r.description, text("description"));
  QRSCENE_ASSIGN_OR_RETURN(r.url, text("url"));
  QRSCENE_ASSIGN_OR_RETURN(r.pic_url, text("pic_url"));
  return r;
}

json channel_json(const domain::Channel& c) {
  json j{{"id", c.id},
         {"appid", c.appid},
         {"name", c.name},
         {"group", c.group},
         {"owner", c.owner},
         {"kind", domain::to_string(c.kind)},
         {"scene", c.scene},
         {"scene_is_int", c.scene_is_int},
         {"ticket", c.ticket},
         {"url", c.url},
         {"expires_at", c.expires_at},
         {"status", domain::to_string(c.status)},
         {"on_subscribe", reply_json(c.on_subscribe)},
         {"on_scan", reply_json(c.on_scan)},
         {"wechat_tag_id", c.wechat_tag_id},
         {"evergreen", c.evergreen},
         {"spend_cents", c.spend_cents},
         {"created_at", c.created_at},
         {"qr_png", fmt::format("/api/v1/channels/{}/qr.png", c.id)},
         {"qr_svg", fmt::format("/api/v1/channels/{}/qr.svg", c.id)}};
  if (c.retired_at != 0) j["retired_at"] = c.retired_at;
  return j;
}

// A reply field, if present.
std::optional<domain::ReplyChoice> reply_field(Fields& f, const json& j, const std::string& key) {
  if (!j.contains(key)) return std::nullopt;
  auto r = reply_from(j.at(key), key);
  if (!r) {
    f.problem(r.error().message);
    return std::nullopt;
  }
  return *r;
}

// A scene given as a number (an int scene) or a string (a string scene).
void scene_field(Fields& f, const json& j, ChannelSpec& spec) {
  if (!j.contains("scene") || j.at("scene").is_null()) return;
  const json& s = j.at("scene");
  if (s.is_number_integer()) {
    spec.scene = std::to_string(s.get<std::int64_t>());
  } else if (s.is_string()) {
    spec.scene = s.get<std::string>();
    spec.string_scene = true;
  } else {
    f.problem("scene: must be an integer or a string");
  }
}

const std::set<std::string> kSpecFields = {"appid", "name",      "group",  "owner",      "kind",
                                           "scene", "expire_seconds", "evergreen", "on_subscribe", "on_scan",
                                           "tag",   "spend_cents"};

Result<ChannelSpec> spec_from(const json& j, std::string appid) {
  Fields f(j, kSpecFields);
  ChannelSpec spec;
  spec.appid = f.text("appid").value_or(std::move(appid));
  spec.name = f.text("name").value_or("");
  spec.group = f.text("group").value_or("");
  spec.owner = f.text("owner").value_or("");
  if (auto kind = f.text("kind")) {
    auto k = domain::channel_kind_from(*kind);
    if (k) {
      spec.kind = *k;
    } else {
      f.problem(fmt::format("kind: must be temporary or permanent, got '{}'", *kind));
    }
  }
  scene_field(f, j, spec);
  if (auto e = f.integer("expire_seconds")) spec.expire_seconds = *e;
  if (auto e = f.boolean("evergreen")) spec.evergreen = *e;
  if (auto r = reply_field(f, j, "on_subscribe")) spec.on_subscribe = *r;
  if (auto r = reply_field(f, j, "on_scan")) spec.on_scan = *r;
  spec.tag = f.text("tag").value_or("");
  if (auto s = f.integer("spend_cents")) spec.spend_cents = *s;
  QRSCENE_TRY(f.status());
  return spec;
}

Result<std::int64_t> path_id(const net::HttpRequest& r) {
  const std::string_view text = r.path_param("id");
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id <= 0) {
    return invalid(fmt::format("id: '{}' is not a channel id", text));
  }
  return id;
}

Result<qr::QrStyle> style_from(const net::HttpRequest& r) {
  qr::QrStyle s;
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t size, int_param(r, "size", s.size));
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t margin, int_param(r, "margin", s.margin));
  if (size < qr::QrStyle::kMinSize || size > qr::QrStyle::kMaxSize) {
    return invalid(fmt::format("size: must be {}..{} pixels", qr::QrStyle::kMinSize, qr::QrStyle::kMaxSize));
  }
  if (margin < 0 || margin > qr::QrStyle::kMaxMargin) {
    return invalid(fmt::format("margin: must be 0..{} modules", qr::QrStyle::kMaxMargin));
  }
  s.size = static_cast<int>(size);
  s.margin = static_cast<int>(margin);
  for (auto [name, target] : {std::pair{"dark", &s.dark}, std::pair{"light", &s.light}}) {
    if (!r.has_query_param(name)) continue;
    auto c = qr::parse_color(r.query_param(name));
    if (!c) return invalid(fmt::format("{}: {}", name, c.error().message));
    *target = *c;
  }
  return s;
}

net::HttpResponse image(std::string bytes, bool svg, std::string_view filename) {
  net::HttpResponse r;
  r.status = 200;
  r.content_type = svg ? "image/svg+xml" : "image/png";
  r.body = std::move(bytes);
  r.headers.emplace_back("Content-Disposition", fmt::format("inline; filename=\"{}\"", filename));
  r.headers.emplace_back("Cache-Control", "private, max-age=300");
  return r;
}

}  // namespace

std::string token_sha256(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(token.data(), token.size(), md.data(), &n, EVP_sha256(), nullptr);
  return to_hex(std::span<const std::uint8_t>(md.data(), n));
}

AdminApi::AdminApi(AdminApiOptions options, std::vector<AdminAccount> accounts, ChannelService& channels,
                   AnalyticsService& analytics, domain::JobQueue& jobs, wechat::AccountClients& clients,
                   asio::thread_pool& blocking, const Clock& clock)
    : options_(std::move(options)),
      accounts_(std::move(accounts)),
      channels_(channels),
      analytics_(analytics),
      jobs_(jobs),
      clients_(clients),
      blocking_(blocking),
      clock_(clock),
      failures_(options_.max_failures_per_minute, std::chrono::minutes(1)) {}

bool AdminApi::authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return false;
  const std::string hash = token_sha256(authorization.substr(kBearer.size()));
  bool ok = false;
  for (const auto& h : options_.token_sha256) ok = wechat::constant_time_equal(hash, h) || ok;  // no early exit
  return ok;
}

std::optional<net::HttpResponse> AdminApi::refuse(const net::HttpRequest& request) {
  if (failures_.full(client_key(request.client_ip))) {
    net::HttpResponse r = net::HttpResponse::error(
        Error{ErrorCode::kResourceExhausted, "too many failed sign-ins from this address: wait a minute"});
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  // A success does not wipe the address's failures: a guesser behind the same NAT as a real
  // operator must not get a fresh allowance each time the operator signs in.
  if (authorized(request.header("Authorization"))) return std::nullopt;
  failures_.add(client_key(request.client_ip));
  net::HttpResponse r = net::HttpResponse::error(
      Error{ErrorCode::kUnauthenticated,
            options_.token_sha256.empty()
                ? "the admin API is off: configure [admin] token_sha256 (qrscene admin-token makes a token)"
                : "send Authorization: Bearer <admin token>"});
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"qrscene\"");
  return r;
}

void AdminApi::route(net::Router& router, std::string method, std::string pattern, Sync handler) {
  router.add(std::move(method), std::move(pattern),
             [this, handler = std::move(handler)](net::HttpRequest& request) -> asio::awaitable<net::HttpResponse> {
               if (auto refused = refuse(request)) co_return std::move(*refused);
               // The work blocks (SQLite, WeChat): it runs on the pool, and the answer comes back here.
               auto op = net::on_blocking(blocking_, [&handler, &request] {
                 try {
                   return handler(request);
                 } catch (const std::exception&) {
                   return net::HttpResponse::error(Error{ErrorCode::kInternal, "internal error"});
                 }
               });
               net::HttpResponse response = co_await std::move(op);
               response.headers.emplace_back("Cache-Control", "no-store");
               co_return response;
             });
}

void AdminApi::add_routes(net::Router& router) {
  auto bind = [this](net::HttpResponse (AdminApi::*fn)(net::HttpRequest&)) {
    return [this, fn](net::HttpRequest& r) { return (this->*fn)(r); };
  };
  route(router, "GET", "/api/v1/accounts", bind(&AdminApi::accounts));
  route(router, "GET", "/api/v1/channels", bind(&AdminApi::list_channels));
  route(router, "POST", "/api/v1/channels", bind(&AdminApi::create_channel));
  route(router, "POST", "/api/v1/channels/import", bind(&AdminApi::import_channels));
  route(router, "GET", "/api/v1/channels/{id}", bind(&AdminApi::get_channel));
  route(router, "PATCH", "/api/v1/channels/{id}", bind(&AdminApi::patch_channel));
  route(router, "POST", "/api/v1/channels/{id}/pause",
        [this](net::HttpRequest& r) { return set_status(r, ChannelStatus::kPaused); });
  route(router, "POST", "/api/v1/channels/{id}/resume",
        [this](net::HttpRequest& r) { return set_status(r, ChannelStatus::kActive); });
  route(router, "POST", "/api/v1/channels/{id}/retire",
        [this](net::HttpRequest& r) { return set_status(r, ChannelStatus::kRetired); });
  route(router, "GET", "/api/v1/channels/{id}/qr.png", [this](net::HttpRequest& r) { return channel_qr(r, false); });
  route(router, "GET", "/api/v1/channels/{id}/qr.svg", [this](net::HttpRequest& r) { return channel_qr(r, true); });
  route(router, "POST", "/api/v1/qr", bind(&AdminApi::render_qr));
  route(router, "GET", "/api/v1/stats", bind(&AdminApi::stats));
  route(router, "GET", "/api/v1/stats/breakdown", bind(&AdminApi::breakdown));
  route(router, "GET", "/api/v1/stats/reconciliation", bind(&AdminApi::reconciliation));
  route(router, "GET", "/api/v1/export", bind(&AdminApi::export_table));
  route(router, "GET", "/api/v1/quota", bind(&AdminApi::quota));
  route(router, "GET", "/api/v1/jobs", bind(&AdminApi::jobs));
}

Result<std::string> AdminApi::appid_of(const net::HttpRequest& r) const { return resolve_appid(r.query_param("appid")); }

Result<std::string> AdminApi::resolve_appid(std::string_view given) const {
  std::string appid(given);
  if (appid.empty()) {
    if (accounts_.size() == 1) return accounts_.front().appid;
    return invalid("appid: required when more than one account is configured (GET /api/v1/accounts)");
  }
  for (const auto& a : accounts_) {
    if (a.appid == appid) return appid;
  }
  return Error{ErrorCode::kNotFound, fmt::format("appid: no account {} is configured", appid)};
}

net::HttpResponse AdminApi::accounts(net::HttpRequest& /*r*/) {
  json out = json::array();
  for (const auto& a : accounts_) {
    json j{{"appid", a.appid}, {"name", a.name}, {"mode", a.mode}};
    if (auto q = channels_.quota(a.appid)) j["permanent_quota"] = json{{"used", q->used}, {"left", q->left}};
    out.push_back(std::move(j));
  }
  return ok_json(out);
}

net::HttpResponse AdminApi::list_channels(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto list = channels_.list(*appid);
  if (!list) return error_response(list.error());
  const std::string group = r.query_param("group"), owner = r.query_param("owner"), status = r.query_param("status");
  const std::string q = r.query_param("q");
  if (!status.empty() && !domain::channel_status_from(status)) {
    return error_response(invalid("status: must be active, paused, expired or retired"));
  }
  // Lifetime figures beside each channel, from the rollups in one query.
  domain::ChannelFilter filter;
  filter.appid = *appid;
  auto totals = analytics_.breakdown(filter, domain::Breakdown::kChannel, 0, analytics_.today());
  if (!totals) return error_response(totals.error());
  std::map<std::int64_t, const domain::BreakdownRow*> by_id;
  for (const auto& t : *totals) by_id[t.channel_id] = &t;
  json out = json::array();
  for (const auto& c : *list) {
    if (!group.empty() && c.group != group) continue;
    if (!owner.empty() && c.owner != owner) continue;
    if (!status.empty() && domain::to_string(c.status) != status) continue;
    if (!q.empty() && c.name.find(q) == std::string::npos && c.scene.find(q) == std::string::npos &&
        c.owner.find(q) == std::string::npos && c.group.find(q) == std::string::npos) {
      continue;
    }
    json j = channel_json(c);
    if (auto it = by_id.find(c.id); it != by_id.end()) {
      const auto& k = it->second->counters;
      j["totals"] = json{{"scans", k.scans}, {"new_follows", k.new_follows}, {"unfollows", k.unfollows},
                         {"net", k.new_follows - k.unfollows}};
    }
    out.push_back(std::move(j));
  }
  return ok_json(out);
}

net::HttpResponse AdminApi::create_channel(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  std::string fallback = accounts_.size() == 1 ? accounts_.front().appid : "";
  auto spec = spec_from(*body, fallback);
  if (!spec) return error_response(spec.error());
  if (spec->appid.empty()) return error_response(invalid("appid: required when more than one account is configured"));
  auto made = channels_.create(*spec);
  if (!made) return error_response(made.error());
  net::HttpResponse res = ok_json(channel_json(*made), 201);
  res.headers.emplace_back("Location", fmt::format("/api/v1/channels/{}", made->id));
  return res;
}

net::HttpResponse AdminApi::import_channels(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto upload = read_csv_upload(r.body);
  if (!upload) return error_response(upload.error());
  const auto* rows = &upload->rows;
  if (rows->empty()) return error_response(invalid("csv: empty; the first line names the columns (name is required)"));
  const auto& header = rows->front();
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  static const std::set<std::string> kColumns = {"name",      "group",           "owner",        "kind",
                                                 "scene",     "expire_seconds",  "evergreen",    "reply_subscribe",
                                                 "reply_scan", "tag",            "spend_cents"};
  std::vector<std::string> problems;
  for (const auto& h : header) {
    if (!kColumns.contains(h)) problems.push_back(fmt::format("csv: unknown column '{}'", h));
  }
  if (!column.contains("name")) problems.emplace_back("csv: the name column is required");
  if (!problems.empty()) return error_response(invalid(fmt::format("{}", fmt::join(problems, "\n"))));
  if (rows->size() - 1 > options_.max_import_rows) {
    return error_response(Error{ErrorCode::kTooLarge, fmt::format("csv: at most {} rows at a time; split the file",
                                                                  options_.max_import_rows)});
  }
  json created = json::array(), errors = std::move(upload->errors);
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    auto cell = [&](const std::string& name) -> std::string {
      auto it = column.find(name);
      return it != column.end() && it->second < row.size() ? row[it->second] : std::string();
    };
    // Each row becomes the JSON a POST would send, so both paths check the same way.
    json j{{"name", cell("name")}, {"group", cell("group")}, {"owner", cell("owner")}, {"tag", cell("tag")}};
    if (!cell("kind").empty()) j["kind"] = cell("kind");
    const std::string scene = cell("scene");
    if (!scene.empty()) {
      const bool digits = scene.find_first_not_of("0123456789") == std::string::npos && scene.size() < 11;
      if (digits) {
        j["scene"] = std::stoll(scene);
      } else {
        j["scene"] = scene;
      }
    }
    std::vector<std::string> row_problems;
    for (const char* name : {"expire_seconds", "spend_cents"}) {
      const std::string v = cell(name);
      if (v.empty()) continue;
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size()) {
        row_problems.push_back(fmt::format("{}: '{}' is not an integer", name, v));
      } else {
        j[name] = n;
      }
    }
    if (const std::string v = cell("evergreen"); !v.empty()) {
      if (v == "true" || v == "1" || v == "yes") {
        j["evergreen"] = true;
      } else if (v == "false" || v == "0" || v == "no") {
        j["evergreen"] = false;
      } else {
        row_problems.push_back(fmt::format("evergreen: '{}' is not true or false", v));
      }
    }
    if (!cell("reply_subscribe").empty()) j["on_subscribe"] = cell("reply_subscribe");
    if (!cell("reply_scan").empty()) j["on_scan"] = cell("reply_scan");
    Result<domain::Channel> made = invalid(fmt::format("{}", fmt::join(row_problems, "\n")));
    if (row_problems.empty()) {
      auto spec = spec_from(j, *appid);
      made = spec ? channels_.create(*spec) : Result<domain::Channel>(spec.error());
    }
    if (made) {
      created.push_back(json{{"row", i + 1}, {"id", made->id}, {"name", made->name}, {"scene", made->scene}});
    } else {
      errors.push_back(
          json{{"row", i + 1}, {"line", upload->lines[i]}, {"message", public_error(made.error()).message}});
    }
  }
  return ok_json(json{{"created", std::move(created)}, {"errors", std::move(errors)}},
                 errors.empty() ? 200 : 207);
}

net::HttpResponse AdminApi::get_channel(net::HttpRequest& r) {
  auto id = path_id(r);
  if (!id) return error_response(id.error());
  auto c = channels_.show(*id);
  if (!c) return error_response(c.error());
  return ok_json(channel_json(*c));
}

net::HttpResponse AdminApi::patch_channel(net::HttpRequest& r) {
  auto id = path_id(r);
  if (!id) return error_response(id.error());
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  Fields f(*body, {"name", "group", "owner", "on_subscribe", "on_scan", "tag", "evergreen", "spend_cents"});
  ChannelEdit edit;
  edit.name = f.text("name");
  edit.group = f.text("group");
  edit.owner = f.text("owner");
  edit.on_subscribe = reply_field(f, *body, "on_subscribe");
  edit.on_scan = reply_field(f, *body, "on_scan");
  edit.tag = f.text("tag");
  edit.evergreen = f.boolean("evergreen");
  edit.spend_cents = f.integer("spend_cents");
  if (auto ok = f.status(); !ok) return error_response(ok.error());
  auto c = channels_.update(*id, edit);
  if (!c) return error_response(c.error());
  return ok_json(channel_json(*c));
}

net::HttpResponse AdminApi::set_status(net::HttpRequest& r, ChannelStatus status) {
  auto id = path_id(r);
  if (!id) return error_response(id.error());
  auto c = channels_.set_status(*id, status);
  if (!c) return error_response(c.error());
  return ok_json(channel_json(*c));
}

net::HttpResponse AdminApi::channel_qr(net::HttpRequest& r, bool svg) {
  auto id = path_id(r);
  if (!id) return error_response(id.error());
  auto c = channels_.show(*id);
  if (!c) return error_response(c.error());
  if (c->url.empty()) {
    return error_response(Error{ErrorCode::kFailedPrecondition, fmt::format("channel {} has no QR url yet", *id)});
  }
  auto style = style_from(r);
  if (!style) return error_response(style.error());
  auto bytes = qr::render(c->url, *style, svg ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng);
  if (!bytes) return error_response(bytes.error());
  return image(std::move(*bytes), svg, fmt::format("channel-{}.{}", *id, svg ? "svg" : "png"));
}

net::HttpResponse AdminApi::render_qr(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  Fields f(*body, {"url", "format", "size", "margin", "dark", "light", "logo_base64"});
  const std::string url = f.text("url").value_or("");
  const std::string format = f.text("format").value_or("png");
  qr::QrStyle style;
  if (auto v = f.integer("size")) style.size = static_cast<int>(std::clamp<std::int64_t>(*v, 0, 100'000));
  if (auto v = f.integer("margin")) style.margin = static_cast<int>(std::clamp<std::int64_t>(*v, -1, 1'000));
  for (auto [name, target] : {std::pair{"dark", &style.dark}, std::pair{"light", &style.light}}) {
    if (auto v = f.text(name)) {
      auto c = qr::parse_color(*v);
      if (c) {
        *target = *c;
      } else {
        f.problem(fmt::format("{}: {}", name, c.error().message));
      }
    }
  }
  if (auto logo = f.text("logo_base64")) {
    auto bytes = decode_base64(*logo);
    if (bytes) {
      style.logo = std::move(*bytes);
    } else {
      f.problem("logo_base64: not base64");
    }
  }
  if (url.empty()) f.problem("url: required");
  if (format != "png" && format != "svg") f.problem(fmt::format("format: must be png or svg, got '{}'", format));
  if (auto ok = f.status(); !ok) return error_response(ok.error());
  auto bytes = qr::render(url, style, format == "svg" ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng);
  if (!bytes) return error_response(bytes.error());
  return image(std::move(*bytes), format == "svg", fmt::format("qr.{}", format));
}

net::HttpResponse AdminApi::stats(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto q = range_query(r, *appid, analytics_.today());
  if (!q) return error_response(q.error());
  StatsRequest request{q->filter, q->first_day, q->last_day, domain::Granularity::kDay};
  if (r.has_query_param("granularity")) {
    auto g = domain::granularity_from(r.query_param("granularity"));
    if (!g) return error_response(invalid("granularity: must be hour, day, week or month"));
    request.granularity = *g;
  }
  auto report = analytics_.report(request);
  if (!report) return error_response(report.error());
  return net::HttpResponse::json(200, to_json(*report));
}

Result<AdminApi::Ranked> AdminApi::ranked(const net::HttpRequest& r) {
  QRSCENE_ASSIGN_OR_RETURN(auto appid, appid_of(r));
  QRSCENE_ASSIGN_OR_RETURN(auto q, range_query(r, appid, analytics_.today()));
  QRSCENE_ASSIGN_OR_RETURN(auto by, breakdown_from(r));
  QRSCENE_ASSIGN_OR_RETURN(auto rows, analytics_.breakdown(q.filter, by, q.first_day, q.last_day));
  return Ranked{std::move(appid), q.first_day, q.last_day, by, std::move(rows)};
}

net::HttpResponse AdminApi::breakdown(net::HttpRequest& r) {
  auto ranked_rows = ranked(r);
  if (!ranked_rows) return error_response(ranked_rows.error());
  return net::HttpResponse::json(200, to_json(ranked_rows->rows));
}

net::HttpResponse AdminApi::reconciliation(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  const std::int64_t yesterday = analytics_.today() - 1;
  auto q = range_query(r, *appid, yesterday);
  if (!q) return error_response(q.error());
  if (!r.has_query_param("from")) q->first_day = q->last_day - 6;
  auto client = clients_.get(*appid);
  if (!client) return error_response(client.error());
  auto days = analytics_.reconcile(**client, *appid, q->first_day, q->last_day);
  if (!days) return error_response(days.error());
  return net::HttpResponse::json(200, to_json(*days));
}

net::HttpResponse AdminApi::export_table(net::HttpRequest& r) {
  auto ranked_rows = ranked(r);
  if (!ranked_rows) return error_response(ranked_rows.error());
  const auto& [appid, first_day, last_day, by, rows] = *ranked_rows;
  Table table;
  table.sheet = "qrscene";
  table.head = {by == domain::Breakdown::kChannel ? "channel" : by == domain::Breakdown::kGroup ? "group" : "owner",
                "channel_id", "channels", "scans", "new_follows", "first_follows", "re_follows", "existing_scans",
                "unfollows", "net", "quick_unfollows", "spend_cents", "from", "to"};
  const std::string from = domain::day_label(first_day), to = domain::day_label(last_day);
  for (const auto& row : rows) {
    const auto& c = row.counters;
    table.rows.push_back({row.key, row.channel_id == 0 ? Cell(std::string()) : Cell(row.channel_id), row.channels,
                          c.scans, c.new_follows, c.first_follows, c.re_follows, c.existing_scans, c.unfollows,
                          c.new_follows - c.unfollows, row.losses.within_5m, row.spend_cents, from, to});
  }
  return download(table, r.query_param("format"), fmt::format("qrscene-{}-{}-{}", appid, from, to));
}

net::HttpResponse download(const Table& table, std::string_view format, std::string_view filename) {
  net::HttpResponse res;
  res.status = 200;
  if (format.empty() || format == "csv") {
    res.content_type = "text/csv; charset=utf-8";
    res.body = to_csv(table);
  } else if (format == "xlsx") {
    auto bytes = to_xlsx(table);
    if (!bytes) return error_response(bytes.error());
    res.content_type = std::string(kXlsxContentType);
    res.body = std::move(*bytes);
  } else {
    return error_response(invalid(fmt::format("format: must be csv or xlsx, got '{}'", format)));
  }
  res.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"{}.{}\"", filename, format.empty() ? "csv" : format));
  return res;
}

net::HttpResponse AdminApi::quota(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto q = channels_.quota(*appid);
  if (!q) return error_response(q.error());
  return ok_json(json{{"appid", *appid}, {"used", q->used}, {"left", q->left}, {"limit", domain::kPermanentQuota}});
}

net::HttpResponse AdminApi::jobs(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto c = jobs_.job_counts(*appid);
  if (!c) return error_response(c.error());
  return ok_json(json{{"pending", c->pending}, {"running", c->running}, {"done", c->done}, {"failed", c->failed}});
}

}  // namespace qrscene::service
