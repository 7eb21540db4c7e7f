#include "store/campaign_codec.h"

#include <nlohmann/json.hpp>

namespace qrscene::store {
namespace {

using Json = nlohmann::json;

template <typename T>
void read(const Json& j, const char* key, T& into) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) into = it->get<T>();
}

}  // namespace

std::string encode_campaign_spec(const domain::Campaign& c) {
  Json tiers = Json::array();
  for (const auto& t : c.tiers) {
    tiers.push_back({{"invites", t.invites}, {"reward_text", t.reward_text}, {"reward_code", t.reward_code}});
  }
  Json lines = Json::array();
  for (const auto& l : c.poster.lines) {
    lines.push_back({{"text", l.text}, {"x", l.x}, {"y", l.y}, {"size", l.size}, {"color", l.color},
                     {"bold", l.bold}, {"align", l.align}, {"max_width", l.max_width}});
  }
  const auto& p = c.poster;
  return Json{{"triggers",
               {{"keywords", c.triggers.keywords},
                {"click_keys", c.triggers.click_keys},
                {"channel_ids", c.triggers.channel_ids}}},
              {"tiers", tiers},
              {"rules", {{"keep_seconds", c.rules.keep_seconds}, {"hourly_cap", c.rules.hourly_cap}}},
              {"join_reply", c.join_reply},
              {"invitee_reply", c.invitee_reply},
              {"invitees_join", c.invitees_join},
              {"poster",
               {{"width", p.width},
                {"height", p.height},
                {"background_color", p.background_color},
                {"has_background", p.has_background},
                {"qr", {{"x", p.qr_x}, {"y", p.qr_y}, {"size", p.qr_size}}},
                {"lines", lines},
                {"format", p.format}}},
              {"texts",
               {{"counted", c.texts.counted},
                {"taken_back", c.texts.taken_back},
                {"done", c.texts.done},
                {"reward", c.texts.reward}}},
              {"notify_template",
               {{"template_id", c.notify_template.template_id}, {"fields", c.notify_template.fields}}}}
      .dump();
}

Status decode_campaign_spec(std::string_view spec, domain::Campaign& c) {
  const Json j = Json::parse(spec, nullptr, false);
  if (!j.is_object()) return unexpected(ErrorCode::kInternal, "a stored campaign's spec is not a JSON object");
  try {
    if (auto tr = j.find("triggers"); tr != j.end()) {
      read(*tr, "keywords", c.triggers.keywords);
      read(*tr, "click_keys", c.triggers.click_keys);
      read(*tr, "channel_ids", c.triggers.channel_ids);
    }
    if (auto tiers = j.find("tiers"); tiers != j.end()) {
      c.tiers.clear();
      for (const auto& t : *tiers) {
        domain::CampaignTier tier;
        read(t, "invites", tier.invites);
        read(t, "reward_text", tier.reward_text);
        read(t, "reward_code", tier.reward_code);
        c.tiers.push_back(std::move(tier));
      }
    }
    if (auto r = j.find("rules"); r != j.end()) {
      read(*r, "keep_seconds", c.rules.keep_seconds);
      read(*r, "hourly_cap", c.rules.hourly_cap);
    }
    read(j, "join_reply", c.join_reply);
    read(j, "invitee_reply", c.invitee_reply);
    read(j, "invitees_join", c.invitees_join);
    if (auto p = j.find("poster"); p != j.end()) {
      read(*p, "width", c.poster.width);
      read(*p, "height", c.poster.height);
      read(*p, "background_color", c.poster.background_color);
      read(*p, "has_background", c.poster.has_background);
      if (auto q = p->find("qr"); q != p->end()) {
        read(*q, "x", c.poster.qr_x);
        read(*q, "y", c.poster.qr_y);
        read(*q, "size", c.poster.qr_size);
      }
      if (auto lines = p->find("lines"); lines != p->end()) {
        c.poster.lines.clear();
        for (const auto& l : *lines) {
          domain::PosterLine line;
          read(l, "text", line.text);
          read(l, "x", line.x);
          read(l, "y", line.y);
          read(l, "size", line.size);
          read(l, "color", line.color);
          read(l, "bold", line.bold);
          read(l, "align", line.align);
          read(l, "max_width", line.max_width);
          c.poster.lines.push_back(std::move(line));
        }
      }
      read(*p, "format", c.poster.format);
    }
    if (auto t = j.find("texts"); t != j.end()) {
      read(*t, "counted", c.texts.counted);
      read(*t, "taken_back", c.texts.taken_back);
      read(*t, "done", c.texts.done);
      read(*t, "reward", c.texts.reward);
    }
    if (auto n = j.find("notify_template"); n != j.end()) {
      read(*n, "template_id", c.notify_template.template_id);
      read(*n, "fields", c.notify_template.fields);
    }
  } catch (const Json::exception& e) {
    return unexpected(ErrorCode::kInternal, std::string("a stored campaign's spec is malformed: ") + e.what());
  }
  return {};
}

}  // namespace qrscene::store
