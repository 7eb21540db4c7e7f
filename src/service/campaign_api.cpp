#include "service/campaign_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "domain/conversion.h"
#include "qr/poster.h"
#include "service/api_support.h"
#include "service/campaign_poster.h"

namespace qrscene::service {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxExportRows = 100'000;

// The sample code a preview (and the check of a new campaign) draws: as long as WeChat's URLs.
constexpr std::string_view kSampleUrl = "http://weixin.qq.com/q/02sampleCodeOfAParticipant000000000000000000";

// Reads a campaign's JSON field by field; every problem is named by its path ("tiers[1].invites").
class Reader {
 public:
  explicit Reader(std::vector<FieldError>& problems) : problems_(problems) {}

  template <typename T>
  void read(const json& j, const std::string& path, const char* key, T& into) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    const std::string field = path.empty() ? key : path + "." + key;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) return wrong(field, "text");
      into = it->template get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return wrong(field, "true or false");
      into = it->template get<bool>();
    } else {
      if (!it->is_number_integer()) return wrong(field, "a whole number");
      const auto v = it->template get<std::int64_t>();
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return wrong(field, "a smaller number");
      into = static_cast<T>(v);
    }
  }
  const json* object(const json& j, const std::string& field, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    if (!it->is_object()) {
      wrong(field, "an object");
      return nullptr;
    }
    return &*it;
  }
  const json* array(const json& j, const std::string& field, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      wrong(field, "a list");
      return nullptr;
    }
    return &*it;
  }
  void wrong(const std::string& field, std::string_view what) {
    problems_.push_back({field, fmt::format("must be {}", what), "wrong_type", {{"expected", std::string(what)}}});
  }

 private:
  std::vector<FieldError>& problems_;
};

struct CampaignInput {
  domain::Campaign campaign;
  std::string background;  // bytes
};

// `rules`: the whole campaign is checked (a new one); without, only the shapes (a preview draws the
// poster of a form still being filled in).
Result<CampaignInput> campaign_from(const json& j, std::string fallback_appid, std::size_t max_background,
                                    bool rules = true) {
  std::vector<FieldError> problems;
  Reader rd(problems);
  CampaignInput in;
  domain::Campaign& c = in.campaign;
  c.appid = std::move(fallback_appid);
  rd.read(j, "", "appid", c.appid);
  rd.read(j, "", "name", c.name);
  rd.read(j, "", "starts_at", c.starts_at);
  rd.read(j, "", "ends_at", c.ends_at);
  rd.read(j, "", "join_reply", c.join_reply);
  rd.read(j, "", "invitee_reply", c.invitee_reply);
  rd.read(j, "", "invitees_join", c.invitees_join);
  auto strings = [&](const json& parent, const std::string& field, const char* key, std::vector<std::string>& out) {
    if (const json* a = rd.array(parent, field, key)) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (!(*a)[i].is_string()) {
          rd.wrong(fmt::format("{}[{}]", field, i), "text");
          continue;
        }
        out.push_back((*a)[i].get<std::string>());
      }
    }
  };
  if (const json* t = rd.object(j, "triggers", "triggers")) {
    strings(*t, "triggers.keywords", "keywords", c.triggers.keywords);
    strings(*t, "triggers.click_keys", "click_keys", c.triggers.click_keys);
    if (const json* a = rd.array(*t, "triggers.channel_ids", "channel_ids")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (!(*a)[i].is_number_integer()) {
          rd.wrong(fmt::format("triggers.channel_ids[{}]", i), "a channel id");
          continue;
        }
        c.triggers.channel_ids.push_back((*a)[i].get<std::int64_t>());
      }
    }
  }
  if (const json* a = rd.array(j, "tiers", "tiers")) {
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string at = fmt::format("tiers[{}]", i);
      if (!(*a)[i].is_object()) {
        rd.wrong(at, "an object");
        continue;
      }
      domain::CampaignTier tier;
      rd.read((*a)[i], at, "invites", tier.invites);
      rd.read((*a)[i], at, "reward_text", tier.reward_text);
      rd.read((*a)[i], at, "reward_code", tier.reward_code);
      c.tiers.push_back(std::move(tier));
    }
  }
  if (const json* r = rd.object(j, "rules", "rules")) {
    rd.read(*r, "rules", "keep_seconds", c.rules.keep_seconds);
    rd.read(*r, "rules", "hourly_cap", c.rules.hourly_cap);
  }
  if (const json* t = rd.object(j, "texts", "texts")) {
    rd.read(*t, "texts", "counted", c.texts.counted);
    rd.read(*t, "texts", "taken_back", c.texts.taken_back);
    rd.read(*t, "texts", "done", c.texts.done);
    rd.read(*t, "texts", "reward", c.texts.reward);
  }
  if (const json* n = rd.object(j, "notify_template", "notify_template")) {
    rd.read(*n, "notify_template", "template_id", c.notify_template.template_id);
    if (const json* f = rd.object(*n, "notify_template.fields", "fields")) {
      for (const auto& [key, value] : f->items()) {
        if (!value.is_string()) {
          rd.wrong("notify_template.fields." + key, "text");
          continue;
        }
        c.notify_template.fields[key] = value.get<std::string>();
      }
    }
  }
  if (const json* p = rd.object(j, "poster", "poster")) {
    auto& poster = c.poster;
    rd.read(*p, "poster", "width", poster.width);
    rd.read(*p, "poster", "height", poster.height);
    rd.read(*p, "poster", "background_color", poster.background_color);
    rd.read(*p, "poster", "format", poster.format);
    std::string background;
    rd.read(*p, "poster", "background", background);
    if (!background.empty()) {
      auto bytes = decode_base64(background);
      if (!bytes) {
        problems.push_back({"poster.background", "must be the image's bytes in base64", "not_base64"});
      } else if (bytes->size() > max_background) {
        problems.push_back({"poster.background", fmt::format("at most {} bytes", max_background), "too_large",
                            {{"max", std::to_string(max_background)}}});
      } else {
        in.background = std::move(*bytes);
      }
    }
    if (const json* q = rd.object(*p, "poster.qr", "qr")) {
      rd.read(*q, "poster.qr", "x", poster.qr_x);
      rd.read(*q, "poster.qr", "y", poster.qr_y);
      rd.read(*q, "poster.qr", "size", poster.qr_size);
    }
    if (const json* a = rd.array(*p, "poster.lines", "lines")) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string at = fmt::format("poster.lines[{}]", i);
        if (!(*a)[i].is_object()) {
          rd.wrong(at, "an object");
          continue;
        }
        domain::PosterLine line;
        const json& l = (*a)[i];
        rd.read(l, at, "text", line.text);
        rd.read(l, at, "x", line.x);
        rd.read(l, at, "y", line.y);
        rd.read(l, at, "size", line.size);
        rd.read(l, at, "color", line.color);
        rd.read(l, at, "bold", line.bold);
        rd.read(l, at, "align", line.align);
        rd.read(l, at, "max_width", line.max_width);
        poster.lines.push_back(std::move(line));
      }
    }
  }
  if (rules && c.appid.empty()) {
    problems.push_back({"appid", "required when more than one account is configured", "required"});
  }
  if (auto valid = domain::validate_campaign(c); !valid && rules) {
    for (auto& f : valid.error().fields) problems.push_back(std::move(f));
  }
  if (!problems.empty()) return field_errors(std::move(problems));
  return in;
}

// The poster's problems, named as the API names its fields ("poster.qr.x", "poster.lines[1].color").
Error poster_error(Error e) {
  for (auto& f : e.fields) {
    if (f.field.starts_with("texts[")) {
      f.field = "poster.lines[" + f.field.substr(6);
    } else {
      f.field = "poster." + f.field;
    }
  }
  return e;
}

Result<std::string> compose_sample(const domain::Campaign& c, std::string background, std::int64_t now,
                                   std::int64_t utc_offset) {
  const std::int64_t expires = now + code_lifetime_seconds(c, now);  // as a participant's code would
  auto composed = qr::compose_poster(poster_spec(c, std::move(background), std::string(kSampleUrl), expires, utc_offset));
  if (!composed) return poster_error(composed.error());
  return composed;
}

json campaign_json(const domain::Campaign& c) {
  json tiers = json::array();
  for (const auto& t : c.tiers) {
    tiers.push_back({{"invites", t.invites}, {"reward_text", t.reward_text}, {"reward_code", t.reward_code}});
  }
  json lines = json::array();
  for (const auto& l : c.poster.lines) {
    lines.push_back({{"text", l.text}, {"x", l.x}, {"y", l.y}, {"size", l.size}, {"color", l.color},
                     {"bold", l.bold}, {"align", l.align}, {"max_width", l.max_width}});
  }
  return json{{"id", c.id},
              {"appid", c.appid},
              {"name", c.name},
              {"starts_at", c.starts_at},
              {"ends_at", c.ends_at},
              {"status", c.status},
              {"triggers",
               {{"keywords", c.triggers.keywords},
                {"click_keys", c.triggers.click_keys},
                {"channel_ids", c.triggers.channel_ids}}},
              {"tiers", tiers},
              {"rules", {{"keep_seconds", c.rules.keep_seconds}, {"hourly_cap", c.rules.hourly_cap}}},
              {"join_reply", c.join_reply},
              {"invitee_reply", c.invitee_reply},
              {"invitees_join", c.invitees_join},
              {"poster",
               {{"width", c.poster.width},
                {"height", c.poster.height},
                {"background_color", c.poster.background_color},
                {"has_background", c.poster.has_background},
                {"qr", {{"x", c.poster.qr_x}, {"y", c.poster.qr_y}, {"size", c.poster.qr_size}}},
                {"lines", lines},
                {"format", c.poster.format}}},
              {"texts",
               {{"counted", c.texts.counted},
                {"taken_back", c.texts.taken_back},
                {"done", c.texts.done},
                {"reward", c.texts.reward}}},
              {"notify_template",
               {{"template_id", c.notify_template.template_id}, {"fields", c.notify_template.fields}}},
              {"created_at", c.created_at}};
}

json stats_json(const domain::CampaignStats& s) {
  json by_generation = json::array();
  for (const auto& [g, n] : s.participants_by_generation) by_generation.push_back({{"generation", g}, {"participants", n}});
  json tiers = json::array();
  for (const auto& [t, n] : s.rewards_by_tier) {
    tiers.push_back({{"invites", t}, {"granted", n[0]}, {"delivered", n[1]}, {"failed", n[2]}});
  }
  std::int64_t later_generations = 0;
  for (const auto& [g, n] : s.participants_by_generation) later_generations += g > 1 ? n : 0;
  const double rate = s.participants > 0 ? static_cast<double>(s.invites_counted) / static_cast<double>(s.participants) : 0;
  return json{{"participants", s.participants},
              {"participants_left", s.participants_left},
              {"posters_sent", s.posters_sent},
              {"invites_counted", s.invites_counted},
              {"invites_taken_back", s.invites_taken_back},
              {"invites_not_counted", s.not_counted},
              {"fission_rate", rate},
              {"generations", by_generation},
              {"invitees_who_joined", later_generations},
              {"rewards", tiers},
              {"retention_7d",
               {{"invitees", s.retained_7d_base},
                {"retained", s.retained_7d},
                {"rate", s.retained_7d_base > 0 ? json(static_cast<double>(s.retained_7d) /
                                                       static_cast<double>(s.retained_7d_base))
                                                : json(nullptr)}}},
              {"fraud",
               {{"quick_unfollows", s.quick_unfollows},
                {"capped_inviters", s.capped_inviters},
                {"one_deep_inviters", s.one_deep_inviters},
                {"rewarded_below_tier", s.rewarded_below_tier}}}};
}

json participant_json(const domain::Participant& p, std::size_t rank) {
  return json{{"rank", rank},
              {"id", p.id},
              {"openid", p.openid.empty() ? json(nullptr) : json(p.openid)},
              {"joined_at", p.joined_at},
              {"generation", p.generation},
              {"invited_by", p.invited_by == 0 ? json(nullptr) : json(p.invited_by)},
              {"counted", p.counted},
              {"taken_back", p.taken_back},
              {"rewarded_invites", p.rewarded_invites},
              {"scene", p.scene},
              {"code_url", p.url},
              {"code_expires_at", p.code_expires_at},
              {"posters_sent", p.posters_sent},
              {"left_at", p.left_at == 0 ? json(nullptr) : json(p.left_at)}};
}

json reward_json(const domain::CampaignReward& r) {
  return json{{"id", r.id},
              {"participant_id", r.participant_id},
              {"openid", r.openid.empty() ? json(nullptr) : json(r.openid)},
              {"unionid", r.unionid.empty() ? json(nullptr) : json(r.unionid)},
              {"tier", r.tier_invites},
              {"reward_code", r.reward_code},
              {"reward_text", r.reward_text},
              {"granted_at", r.granted_at},
              {"state", r.state},
              {"error", r.error},
              {"updated_at", r.updated_at}};
}

}  // namespace

CampaignApi::CampaignApi(CampaignApiOptions options, AdminGate& gate, domain::CampaignRepository& campaigns,
                         const Clock& clock)
    : options_(options), gate_(gate), campaigns_(campaigns), clock_(clock) {}

void CampaignApi::add_routes(net::Router& router) {
  gate_.route(router, "POST", "/api/v1/campaigns", this, &CampaignApi::create);
  gate_.route(router, "POST", "/api/v1/campaigns/preview", this, &CampaignApi::preview);
  gate_.route(router, "GET", "/api/v1/campaigns", this, &CampaignApi::list);
  gate_.route(router, "GET", "/api/v1/campaigns/{id}", this, &CampaignApi::show);
  gate_.route(router, "POST", "/api/v1/campaigns/{id}/end", this, &CampaignApi::end);
  gate_.route(router, "GET", "/api/v1/campaigns/{id}/participants", this, &CampaignApi::participants);
  gate_.route(router, "GET", "/api/v1/campaigns/{id}/rewards", this, &CampaignApi::rewards);
  gate_.route(router, "GET", "/api/v1/campaigns/{id}/export", this, &CampaignApi::export_table);
}

net::HttpResponse CampaignApi::create(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  const std::string fallback = gate_.accounts().size() == 1 ? gate_.accounts().front().appid : "";
  auto in = campaign_from(*body, fallback, options_.max_background_bytes);
  if (!in) return error_response(in.error());
  if (auto known = gate_.resolve_appid(in->campaign.appid); !known) return error_response(known.error());
  // The poster is composed once now, with a sample code: a misplaced code or line is refused here,
  // not found out when the first participant waits for theirs.
  in->campaign.poster.has_background = !in->background.empty();
  if (auto sample = compose_sample(in->campaign, in->background, clock_.unix_seconds(), options_.utc_offset_seconds);
      !sample) {
    return error_response(sample.error());
  }
  auto made = campaigns_.create_campaign(in->campaign, std::move(in->background));
  if (!made) return error_response(made.error());
  net::HttpResponse res = ok_json(campaign_json(*made), 201);
  res.headers.emplace_back("Location", fmt::format("/api/v1/campaigns/{}", made->id));
  return res;
}

net::HttpResponse CampaignApi::preview(net::HttpRequest& r) {
  auto body = parse_body(r);
  if (!body) return error_response(body.error());
  const std::string fallback = gate_.accounts().empty() ? "" : gate_.accounts().front().appid;
  auto in = campaign_from(*body, fallback, options_.max_background_bytes, /*rules=*/false);
  if (!in) return error_response(in.error());
  if (in->campaign.ends_at <= in->campaign.starts_at) in->campaign.ends_at = clock_.unix_seconds() + 86'400;
  auto image = compose_sample(in->campaign, std::move(in->background), clock_.unix_seconds(), options_.utc_offset_seconds);
  if (!image) return error_response(image.error());
  net::HttpResponse res;
  res.status = 200;
  res.content_type = in->campaign.poster.format == "png" ? "image/png" : "image/jpeg";
  res.body = std::move(*image);
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

Result<domain::Campaign> CampaignApi::campaign_of(const net::HttpRequest& r) {
  const std::string_view text = r.path_param("id");
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id < 1) {
    return field_error("id", fmt::format("'{}' is not a campaign id", text), "not_id");
  }
  QRSCENE_ASSIGN_OR_RETURN(auto c, campaigns_.campaign(id));
  QRSCENE_TRY(gate_.resolve_appid(c.appid));
  return c;
}

net::HttpResponse CampaignApi::list(net::HttpRequest& r) {
  auto appid = gate_.resolve_appid(r.query_param("appid"));
  if (!appid) return error_response(appid.error());
  auto all = campaigns_.campaigns(*appid);
  if (!all) return error_response(all.error());
  json out = json::array();
  const std::int64_t now = clock_.unix_seconds();
  for (const auto& c : *all) {
    json j = campaign_json(c);
    auto stats = campaigns_.campaign_stats(c.id, now);
    if (!stats) return error_response(stats.error());
    j["stats"] = stats_json(*stats);
    out.push_back(std::move(j));
  }
  return ok_json(out);
}

net::HttpResponse CampaignApi::show(net::HttpRequest& r) {
  auto c = campaign_of(r);
  if (!c) return error_response(c.error());
  auto stats = campaigns_.campaign_stats(c->id, clock_.unix_seconds());
  if (!stats) return error_response(stats.error());
  json j = campaign_json(*c);
  j["stats"] = stats_json(*stats);
  return ok_json(j);
}

net::HttpResponse CampaignApi::end(net::HttpRequest& r) {
  auto c = campaign_of(r);
  if (!c) return error_response(c.error());
  if (auto ended = campaigns_.end_campaign(c->id); !ended) return error_response(ended.error());
  auto fresh = campaigns_.campaign(c->id);
  if (!fresh) return error_response(fresh.error());
  return ok_json(campaign_json(*fresh));
}

net::HttpResponse CampaignApi::participants(net::HttpRequest& r) {
  auto c = campaign_of(r);
  if (!c) return error_response(c.error());
  auto limit = int_param(r, "limit", 50, 1, options_.max_per_page);
  if (!limit) return error_response(limit.error());
  auto offset = int_param(r, "offset", 0, 0);
  if (!offset) return error_response(offset.error());
  auto rows = campaigns_.participants(c->id, static_cast<std::size_t>(*limit), static_cast<std::size_t>(*offset));
  if (!rows) return error_response(rows.error());
  json out = json::array();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.push_back(participant_json((*rows)[i], static_cast<std::size_t>(*offset) + i + 1));
  }
  return ok_json(out);
}

net::HttpResponse CampaignApi::rewards(net::HttpRequest& r) {
  auto c = campaign_of(r);
  if (!c) return error_response(c.error());
  auto rows = campaigns_.campaign_rewards(c->id);
  if (!rows) return error_response(rows.error());
  json out = json::array();
  for (const auto& reward : *rows) out.push_back(reward_json(reward));
  return ok_json(out);
}

net::HttpResponse CampaignApi::export_table(net::HttpRequest& r) {
  auto c = campaign_of(r);
  if (!c) return error_response(c.error());
  const std::string which = r.query_param("table").empty() ? "participants" : std::string(r.query_param("table"));
  Table t;
  if (which == "participants") {
    auto rows = campaigns_.participants(c->id, kMaxExportRows + 1, 0);
    if (!rows) return error_response(rows.error());
    if (rows->size() > kMaxExportRows) {
      return error_response(Error{ErrorCode::kTooLarge, fmt::format("more than {} participants: too many for one file",
                                                                    kMaxExportRows)});
    }
    t.sheet = "participants";
    t.head = {"rank", "participant_id", "openid", "generation", "invited_by", "counted", "taken_back",
              "rewarded_invites", "posters_sent", "joined_at", "left_at"};
    std::int64_t rank = 0;
    const auto when = [&](std::int64_t at) { return at > 0 ? domain::time_label(at, options_.utc_offset_seconds) : ""; };
    for (const auto& p : *rows) {
      t.rows.push_back({++rank, p.id, p.openid, std::int64_t{p.generation},
                        p.invited_by > 0 ? Cell(p.invited_by) : Cell(std::string()), std::int64_t{p.counted},
                        std::int64_t{p.taken_back}, std::int64_t{p.rewarded_invites}, p.posters_sent, when(p.joined_at),
                        when(p.left_at)});
    }
  } else if (which == "rewards") {
    auto rows = campaigns_.campaign_rewards(c->id);
    if (!rows) return error_response(rows.error());
    t.sheet = "rewards";
    t.head = {"reward_id", "participant_id", "openid", "unionid", "tier", "reward_code", "reward_text", "granted_at",
              "state", "error"};
    for (const auto& x : *rows) {
      t.rows.push_back({x.id, x.participant_id, x.openid, x.unionid, std::int64_t{x.tier_invites}, x.reward_code,
                        x.reward_text, domain::time_label(x.granted_at, options_.utc_offset_seconds), x.state, x.error});
    }
  } else {
    return error_response(field_error("table", fmt::format("must be participants or rewards, got '{}'", which),
                                      "not_one_of", {{"allowed", "participants, rewards"}}));
  }
  const std::string format = r.query_param("format").empty() ? "csv" : std::string(r.query_param("format"));
  return download(t, format, fmt::format("campaign-{}-{}.{}", c->id, which, format));
}

}  // namespace qrscene::service
