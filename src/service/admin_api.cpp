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
#include "service/qr_bundle.h"
#include "net/blocking.h"
#include "wechat/signature.h"

namespace qrscene::service {
namespace {

using nlohmann::json;
using domain::ChannelStatus;

json reply_json(const domain::ReplyChoice& r) {
  json j = json::object();
  for (auto& [key, value] : domain::reply_fields(r)) j[std::string(key)] = std::move(value);
  return j;
}

// A reply from JSON: {"kind": "text", "text": "..."}; a bare string is a text reply.
Result<domain::ReplyChoice> reply_from(const json& j, std::string_view field) {
  domain::ReplyChoice r;
  if (j.is_null()) return r;
  if (j.is_string()) {
    r.text = j.get<std::string>();
    r.kind = r.text.empty() ? domain::ReplyChoice::Kind::kNone : domain::ReplyChoice::Kind::kText;
    return r;
  }
  if (!j.is_object()) {
    return field_error(std::string(field), "must be an object or a string", "wrong_type",
                       {{"expected", "object,string"}});
  }
  auto read = [&](std::string_view key) -> Result<std::optional<std::string>> {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return field_error(fmt::format("{}.{}", field, key), "must be a string", "not_string");
    return std::optional<std::string>(it->get<std::string>());
  };
  return domain::reply_from_fields(read, field);
}

json channel_json(const domain::Channel& c, const ExpiryOutlook& outlook) {
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
  j["expires_in_seconds"] = outlook.expires_in ? json(*outlook.expires_in) : json(nullptr);
  j["expiry_warning"] = outlook.warn;
  j["renewal_failure"] =
      c.renewal_failed_at == 0 ? json(nullptr) : json{{"at", c.renewal_failed_at}, {"error", c.renewal_error}};
  return j;
}

// A reply field, if present.
std::optional<domain::ReplyChoice> reply_field(Fields& f, const json& j, const std::string& key) {
  if (!j.contains(key)) return std::nullopt;
  auto r = reply_from(j.at(key), key);
  if (!r) {
    for (const auto& p : r.error().fields) f.problem(p);
    if (r.error().fields.empty()) f.problem("", r.error().message);
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
    f.problem("scene", "must be an integer or a string", "wrong_type", {{"expected", "integer,string"}});
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
      f.problem("kind", fmt::format("must be temporary or permanent, got '{}'", *kind), "not_one_of",
                {{"allowed", "temporary,permanent"}});
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
    return field_error("id", fmt::format("'{}' is not a channel id", text), "not_id");
  }
  return id;
}

Result<qr::QrStyle> style_from(const net::HttpRequest& r) {
  qr::QrStyle s;
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t size, int_param(r, "size", s.size));
  QRSCENE_ASSIGN_OR_RETURN(const std::int64_t margin, int_param(r, "margin", s.margin));
  if (size < qr::QrStyle::kMinSize || size > qr::QrStyle::kMaxSize) {
    return field_error("size", fmt::format("must be {}..{} pixels", qr::QrStyle::kMinSize, qr::QrStyle::kMaxSize),
                       "out_of_range",
                       {{"min", std::to_string(qr::QrStyle::kMinSize)}, {"max", std::to_string(qr::QrStyle::kMaxSize)}});
  }
  if (margin < 0 || margin > qr::QrStyle::kMaxMargin) {
    return field_error("margin", fmt::format("must be 0..{} modules", qr::QrStyle::kMaxMargin), "out_of_range",
                       {{"min", "0"}, {"max", std::to_string(qr::QrStyle::kMaxMargin)}});
  }
  s.size = static_cast<int>(size);
  s.margin = static_cast<int>(margin);
  for (auto [name, target] : {std::pair{"dark", &s.dark}, std::pair{"light", &s.light}}) {
    if (!r.has_query_param(name)) continue;
    auto c = qr::parse_color(r.query_param(name));
    if (!c) return field_error(name, c.error().message, "not_color");
    *target = *c;
  }
  return s;
}

// The channel list's filter: ?group=&owner=&status=&q= (q: a part of the name, scene, owner or group).
struct ListFilter {
  std::string group, owner, status, q;
  [[nodiscard]] bool matches(const domain::Channel& c) const {
    if (!group.empty() && c.group != group) return false;
    if (!owner.empty() && c.owner != owner) return false;
    if (!status.empty() && domain::to_string(c.status) != status) return false;
    return q.empty() || c.name.find(q) != std::string::npos || c.scene.find(q) != std::string::npos ||
           c.owner.find(q) != std::string::npos || c.group.find(q) != std::string::npos;
  }
};

Result<ListFilter> list_filter(const net::HttpRequest& r) {
  ListFilter f{r.query_param("group"), r.query_param("owner"), r.query_param("status"), r.query_param("q")};
  if (!f.status.empty() && !domain::channel_status_from(f.status)) {
    return field_error("status", "must be active, paused, expired or retired", "not_one_of",
                       {{"allowed", "active,paused,expired,retired"}});
  }
  return f;
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

AdminApi::AdminApi(AdminApiOptions options, AdminGate& gate, ChannelService& channels, AnalyticsService& analytics,
                   domain::JobQueue& jobs, wechat::AccountClients& clients, const Clock& clock,
                   const CallbackEndpoint* callback)
    : options_(std::move(options)),
      gate_(gate),
      channels_(channels),
      analytics_(analytics),
      jobs_(jobs),
      clients_(clients),
      clock_(clock),
      callback_(callback) {}

void AdminApi::add_routes(net::Router& router) {
  auto status = [this](ChannelStatus s) { return [this, s](net::HttpRequest& r) { return set_status(r, s); }; };
  auto qr = [this](bool svg) { return [this, svg](net::HttpRequest& r) { return channel_qr(r, svg); }; };
  gate_.route(router, "GET", "/api/v1/accounts", this, &AdminApi::accounts);
  gate_.route(router, "GET", "/api/v1/channels", this, &AdminApi::list_channels);
  gate_.route(router, "POST", "/api/v1/channels", this, &AdminApi::create_channel);
  gate_.route(router, "POST", "/api/v1/channels/import", this, &AdminApi::import_channels);
  // Before /channels/{id}, which would take "qr.zip" for an id.
  gate_.route(router, "GET", "/api/v1/channels/qr.zip", this, &AdminApi::qr_zip);
  gate_.route(router, "GET", "/api/v1/channels/{id}", this, &AdminApi::get_channel);
  gate_.route(router, "PATCH", "/api/v1/channels/{id}", this, &AdminApi::patch_channel);
  gate_.route(router, "POST", "/api/v1/channels/{id}/pause", status(ChannelStatus::kPaused));
  gate_.route(router, "POST", "/api/v1/channels/{id}/resume", status(ChannelStatus::kActive));
  gate_.route(router, "POST", "/api/v1/channels/{id}/retire", status(ChannelStatus::kRetired));
  gate_.route(router, "GET", "/api/v1/channels/{id}/qr.png", qr(false));
  gate_.route(router, "GET", "/api/v1/channels/{id}/qr.svg", qr(true));
  gate_.route(router, "POST", "/api/v1/qr", this, &AdminApi::render_qr);
  gate_.route(router, "GET", "/api/v1/stats", this, &AdminApi::stats);
  gate_.route(router, "GET", "/api/v1/stats/breakdown", this, &AdminApi::breakdown);
  gate_.route(router, "GET", "/api/v1/stats/reconciliation", this, &AdminApi::reconciliation);
  gate_.route(router, "GET", "/api/v1/export", this, &AdminApi::export_table);
  gate_.route(router, "GET", "/api/v1/quota", this, &AdminApi::quota);
  gate_.route(router, "PUT", "/api/v1/quota", this, &AdminApi::set_quota);
  gate_.route(router, "GET", "/api/v1/jobs", this, &AdminApi::jobs);
  gate_.route(router, "GET", "/api/v1/tags", this, &AdminApi::tags);
}

Result<std::string> AdminApi::appid_of(const net::HttpRequest& r) const { return gate_.resolve_appid(r.query_param("appid")); }

net::HttpResponse AdminApi::accounts(net::HttpRequest& /*r*/) {
  json out = json::array();
  auto time = [](const std::optional<std::int64_t>& at) { return at ? json(*at) : json(nullptr); };
  for (const auto& a : gate_.accounts()) {
    json j{{"appid", a.appid}, {"name", a.name}, {"mode", a.mode}};
    if (auto q = channels_.quota(a.appid)) j["permanent_quota"] = json{{"used", q->used}, {"left", q->left}};
    // Where WeChat must push, and whether it has lately (this process's view; see CallbackActivity).
    j["callback_path"] = fmt::format("/wechat/{}", a.appid);
    const CallbackActivity seen = callback_ != nullptr ? callback_->activity(a.appid) : CallbackActivity{};
    j["last_push_at"] = time(seen.last_push_at);
    j["last_verified_at"] = time(seen.last_verified_at);
    out.push_back(std::move(j));
  }
  return ok_json(out);
}

namespace {

// A channel's lifetime figures (the list and the one channel alike; zeros before any traffic).
json totals_json(const domain::BreakdownRow* row) {
  const domain::Counters k = row != nullptr ? row->counters : domain::Counters{};
  return json{{"scans", k.scans}, {"new_follows", k.new_follows}, {"unfollows", k.unfollows},
              {"net", k.new_follows - k.unfollows}};
}

}  // namespace

net::HttpResponse AdminApi::list_channels(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto list = channels_.list(*appid);
  if (!list) return error_response(list.error());
  auto keep = list_filter(r);
  if (!keep) return error_response(keep.error());
  // Lifetime figures beside each channel, from the rollups in one query.
  domain::ChannelFilter filter;
  filter.appid = *appid;
  auto totals = analytics_.breakdown(filter, domain::Breakdown::kChannel, 0, analytics_.today());
  if (!totals) return error_response(totals.error());
  std::map<std::int64_t, const domain::BreakdownRow*> by_id;
  for (const auto& t : *totals) by_id[t.channel_id] = &t;
  json out = json::array();
  for (const auto& c : *list) {
    if (!keep->matches(c)) continue;
    json j = channel_json(c, channels_.outlook(c));
    const auto it = by_id.find(c.id);
    j["totals"] = totals_json(it != by_id.end() ? it->second : nullptr);
    out.push_back(std::move(j));
  }
  return ok_json(out);
}

net::HttpResponse AdminApi::create_channel(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  std::string fallback = gate_.accounts().size() == 1 ? gate_.accounts().front().appid : "";
  auto spec = spec_from(*body, fallback);
  if (!spec) return error_response(spec.error());
  if (spec->appid.empty()) {
    return error_response(field_error("appid", "required when more than one account is configured", "required"));
  }
  auto made = channels_.create(*spec);
  if (!made) return error_response(made.error());
  net::HttpResponse res = ok_json(channel_json(*made, channels_.outlook(*made)), 201);
  res.headers.emplace_back("Location", fmt::format("/api/v1/channels/{}", made->id));
  return res;
}

net::HttpResponse AdminApi::import_channels(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto upload = read_csv_upload(r.body);
  if (!upload) return error_response(upload.error());
  const auto* rows = &upload->rows;
  if (rows->empty()) {
    return error_response(field_error("csv", "empty; the first line names the columns (name is required)", "empty"));
  }
  const auto& header = rows->front();
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  static const std::set<std::string> kColumns = {"name",      "group",           "owner",        "kind",
                                                 "scene",     "expire_seconds",  "evergreen",    "reply_subscribe",
                                                 "reply_scan", "tag",            "spend_cents"};
  std::vector<FieldError> problems;
  for (const auto& h : header) {
    if (!kColumns.contains(h)) {
      problems.push_back({"csv", fmt::format("unknown column '{}'", h), "unknown_column", {{"column", h}}});
    }
  }
  if (!column.contains("name")) {
    problems.push_back({"csv", "the name column is required", "missing_column", {{"column", "name"}}});
  }
  if (!problems.empty()) return error_response(field_errors(std::move(problems)));
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
    std::vector<FieldError> row_problems;
    for (const char* name : {"expire_seconds", "spend_cents"}) {
      const std::string v = cell(name);
      if (v.empty()) continue;
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc{} || end != v.data() + v.size()) {
        row_problems.push_back({name, fmt::format("'{}' is not an integer", v), "not_integer"});
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
        row_problems.push_back({"evergreen", fmt::format("'{}' is not true or false", v), "not_boolean"});
      }
    }
    if (!cell("reply_subscribe").empty()) j["on_subscribe"] = cell("reply_subscribe");
    if (!cell("reply_scan").empty()) j["on_scan"] = cell("reply_scan");
    Result<domain::Channel> made = field_errors(row_problems);
    if (row_problems.empty()) {
      auto spec = spec_from(j, *appid);
      made = spec ? channels_.create(*spec) : Result<domain::Channel>(spec.error());
    }
    if (made) {
      created.push_back(json{{"row", i + 1}, {"id", made->id}, {"name", made->name}, {"scene", made->scene}});
    } else {
      errors.push_back(row_error(i + 1, upload->lines[i], made.error()));
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
  domain::ChannelFilter filter;
  filter.appid = c->appid;
  filter.channel_ids = {c->id};
  auto totals = analytics_.breakdown(filter, domain::Breakdown::kChannel, 0, analytics_.today());
  if (!totals) return error_response(totals.error());
  json j = channel_json(*c, channels_.outlook(*c));
  j["totals"] = totals_json(totals->empty() ? nullptr : &totals->front());
  // The WeChat tag's name, through the call GET /api/v1/tags makes (only for a channel with a tag);
  // null when it has none, or when WeChat does not answer or no longer has the tag: a view of the
  // channel does not fail for it.
  j["tag"] = nullptr;
  if (c->wechat_tag_id != 0) {
    if (auto client = clients_.get(c->appid); client) {
      if (auto list = (*client)->tags(); list) {
        for (const auto& t : *list) {
          if (t.id == c->wechat_tag_id) j["tag"] = t.name;
        }
      }
    }
  }
  return ok_json(j);
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
  return ok_json(channel_json(*c, channels_.outlook(*c)));
}

net::HttpResponse AdminApi::set_status(net::HttpRequest& r, ChannelStatus status) {
  auto id = path_id(r);
  if (!id) return error_response(id.error());
  auto c = channels_.set_status(*id, status);
  if (!c) return error_response(c.error());
  return ok_json(channel_json(*c, channels_.outlook(*c)));
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

net::HttpResponse AdminApi::qr_zip(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto keep = list_filter(r);
  if (!keep) return error_response(keep.error());
  const std::string format = r.has_query_param("format") ? r.query_param("format") : "png";
  if (format != "png" && format != "svg") {
    return error_response(field_error("format", "must be png or svg", "not_one_of", {{"allowed", "png,svg"}}));
  }
  auto style = style_from(r);
  if (!style) return error_response(style.error());
  if (style->size > kMaxBundleSize) {
    return error_response(field_error(
        "size", fmt::format("at most {} pixels in a ZIP (one channel's qr.png goes larger)", kMaxBundleSize),
        "out_of_range", {{"min", std::to_string(qr::QrStyle::kMinSize)}, {"max", std::to_string(kMaxBundleSize)}}));
  }
  // One ZIP at a time: up to 2,000 codes are real work on the pool the other requests share.
  if (bundling_.exchange(true)) {
    net::HttpResponse busy = error_response(
        Error{ErrorCode::kResourceExhausted, "another ZIP of codes is being made: retry in a minute"});
    busy.headers.emplace_back("Retry-After", "60");
    return busy;
  }
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag.store(false); }
  } done{bundling_};
  auto list = channels_.list(*appid);
  if (!list) return error_response(list.error());
  // A retired code is dead: in the ZIP only when asked for by status.
  std::vector<domain::Channel> chosen;
  for (auto& c : *list) {
    if (keep->matches(c) && (c.status != domain::ChannelStatus::kRetired || !keep->status.empty())) {
      chosen.push_back(std::move(c));
    }
  }
  if (chosen.empty()) return error_response(Error{ErrorCode::kNotFound, "no channel matches the filter"});
  auto zip = qr_bundle(chosen, *style, format == "svg" ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng,
                       analytics_.utc_offset_seconds());
  if (!zip) return error_response(zip.error());
  net::HttpResponse res;
  res.status = 200;
  res.content_type = "application/zip";
  res.body = std::move(*zip);
  res.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"qrscene-{}-{}-{}.zip\"", *appid, chosen.size(), format));
  return res;
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
        f.problem(name, c.error().message, "not_color");
      }
    }
  }
  if (auto logo = f.text("logo_base64")) {
    auto bytes = decode_base64(*logo);
    if (bytes) {
      style.logo = std::move(*bytes);
    } else {
      f.problem("logo_base64", "not base64", "not_base64");
    }
  }
  if (url.empty()) f.problem("url", "required", "required");
  if (format != "png" && format != "svg") {
    f.problem("format", fmt::format("must be png or svg, got '{}'", format), "not_one_of", {{"allowed", "png,svg"}});
  }
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
    if (!g) {
      return error_response(field_error("granularity", "must be hour, day, week or month", "not_one_of",
                                        {{"allowed", "hour,day,week,month"}}));
    }
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

namespace {

json quota_json(const std::string& appid, const QuotaMeter& q) {
  return json{{"appid", appid},
              {"used", q.used},
              {"left", q.left},
              {"limit", domain::kPermanentQuota},
              {"made", q.made},
              {"external", q.external},
              {"wechat_refused_at", q.refused_at == 0 ? json(nullptr) : json(q.refused_at)}};
}

}  // namespace

net::HttpResponse AdminApi::quota(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto q = channels_.quota(*appid);
  if (!q) return error_response(q.error());
  return ok_json(quota_json(*appid, *q));
}

net::HttpResponse AdminApi::set_quota(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  Fields f(*body, {"external"});
  const auto external = f.integer("external");
  if (!external && f.status()) f.problem("external", "required: the permanent codes made outside qrscene", "required");
  if (auto ok = f.status(); !ok) return error_response(ok.error());
  auto q = channels_.set_external_codes(*appid, *external);
  if (!q) return error_response(q.error());
  return ok_json(quota_json(*appid, *q));
}

net::HttpResponse AdminApi::tags(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto client = clients_.get(*appid);
  if (!client) return error_response(client.error());
  auto list = (*client)->tags();
  if (!list) return error_response(list.error());
  json out = json::array();
  for (const auto& t : *list) out.push_back(json{{"id", t.id}, {"name", t.name}, {"count", t.count}});
  return ok_json(out);
}

net::HttpResponse AdminApi::jobs(net::HttpRequest& r) {
  auto appid = appid_of(r);
  if (!appid) return error_response(appid.error());
  auto c = jobs_.job_counts(*appid);
  if (!c) return error_response(c.error());
  return ok_json(json{{"pending", c->pending}, {"running", c->running}, {"done", c->done}, {"failed", c->failed}});
}

}  // namespace qrscene::service
