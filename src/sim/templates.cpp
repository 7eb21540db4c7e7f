// Platform's template messages (platform.h): the account's templates (added through the control
// API, listed by template/get_all_private_template), message/template/send to followers without
// any customer-service window, the text each recipient sees, the TEMPLATESENDJOBFINISH push that
// follows a send, and the API host routes.
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "sim/api_host.h"
#include "sim/platform.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

// Template msgids sit above 2^31 (a reader that takes them as int32 breaks here rather than on
// WeChat) and far below 2^53 (JSON readers that use doubles keep them exact).
constexpr std::int64_t kTemplateMsgIdBase = 3'000'000'000;

constexpr std::size_t kMaxShownCharacters = 20;

// The first `n` code points of well-formed UTF-8.
std::string first_characters(std::string_view s, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && count++ == n) return std::string(s.substr(0, i));
  }
  return std::string(s);
}

// What a recipient sees of a template: `content` with each {{name.DATA}} replaced by the value
// of data.name ("" when absent). Since 2023-05-04 (unless `legacy`) first and remark are not
// shown — a line left empty by them goes — and every other value is one line of at most 20
// characters.
std::string render(std::string_view content, const Json& data, bool legacy) {
  std::vector<std::string> lines;
  std::size_t line_start = 0;
  while (line_start <= content.size()) {
    auto line_end = content.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = content.size();
    const std::string_view line = content.substr(line_start, line_end - line_start);
    std::string out;
    bool had_hidden = false;  // the line held first or remark
    std::size_t i = 0;
    while (i < line.size()) {
      const auto open = line.find("{{", i);
      const auto close = open == std::string_view::npos ? open : line.find(".DATA}}", open + 2);
      if (open == std::string_view::npos || close == std::string_view::npos) {
        out += line.substr(i);
        break;
      }
      out += line.substr(i, open - i);
      const std::string name(line.substr(open + 2, close - open - 2));
      i = close + 7;
      std::string value;
      if (const Json* field = member(data, name)) value = string_member(*field, "value");
      if (!legacy) {
        if (name == "first" || name == "remark") {
          had_hidden = true;
          continue;
        }
        std::erase_if(value, [](char c) { return c == '\n' || c == '\r'; });
        value = first_characters(value, kMaxShownCharacters);
      }
      out += value;
    }
    if (!(had_hidden && trim(out).empty())) lines.push_back(std::move(out));
    line_start = line_end + 1;
  }
  std::string text;
  for (const auto& l : lines) text += (text.empty() ? "" : "\n") + l;
  return std::string(trim(text));
}

// A template send's data: an object of objects, each with a string "value" (and optionally a
// string "color"). WeChat answers anything else 47001.
bool valid_data(const Json* data) {
  if (data == nullptr || !data->is_object()) return false;
  for (const auto& [name, field] : data->items()) {
    if (!field.is_object()) return false;
    const Json* value = member(field, "value");
    if (value == nullptr || !value->is_string()) return false;
    if (const Json* color = member(field, "color"); color != nullptr && !color->is_string()) return false;
  }
  return true;
}

Json template_json(const SimTemplate& t) {
  return Json{{"template_id", t.template_id},
              {"title", t.title},
              {"primary_industry", t.primary_industry},
              {"deputy_industry", t.deputy_industry},
              {"content", t.content},
              {"example", t.example}};
}

}  // namespace

Result<SimTemplate> Platform::add_template(std::string_view appid, SimTemplate t) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (t.title.empty() || t.content.empty()) {
    return unexpected(ErrorCode::kInvalidArgument, "a template needs a title and a content (\"{{keyword1.DATA}}…\")");
  }
  if (t.template_id.empty()) {
    do {
      t.template_id = rng_.text(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    } while (a->templates.contains(t.template_id));
  } else if (a->templates.contains(t.template_id)) {
    return unexpected(ErrorCode::kAlreadyExists, "the account has template " + t.template_id + " already");
  }
  a->templates[t.template_id] = t;
  return t;
}

Result<std::vector<SimTemplate>> Platform::templates(std::string_view appid) const {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(const AccountState* a, state(appid));
  std::vector<SimTemplate> out;
  for (const auto& [id, t] : a->templates) out.push_back(t);
  return out;
}

Result<Json> Platform::get_all_private_template(std::string_view appid) {
  QRSCENE_ASSIGN_OR_RETURN(auto list, templates(appid));
  Json out = Json::array();
  for (const auto& t : list) out.push_back(template_json(t));
  return Json{{"template_list", out}};
}

Result<TemplateSend> Platform::template_send(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->account.verified) return wx_error(48001);  // templates are for verified service accounts
  if (!body.is_object()) return wx_error(47001);
  const auto t = a->templates.find(string_member(body, "template_id"));
  if (t == a->templates.end()) return wx_error(40037);
  QRSCENE_ASSIGN_OR_RETURN(SimUser * u, find_user(*a, string_member(body, "touser")));
  if (!u->subscribed) return wx_error(43004);  // no window needed, but a follower
  const Json* data = member(body, "data");
  if (!valid_data(data)) return wx_error(47001);
  for (const char* key : {"url", "client_msg_id"}) {
    if (const Json* v = member(body, key); v != nullptr && !v->is_string()) return wx_error(47001);
  }
  const Json* miniprogram = member(body, "miniprogram");
  if (miniprogram != nullptr && (!miniprogram->is_object() || string_member(*miniprogram, "appid").empty())) {
    return wx_error(47001);
  }

  // The same openid + client_msg_id within the window: the first send's msgid, nothing sent.
  const std::int64_t now = clock_.unix_seconds();
  const std::string client_msg_id = string_member(body, "client_msg_id");
  const std::string key = u->openid + '\n' + client_msg_id;
  if (!client_msg_id.empty()) {
    if (a->template_client_msg_ids.size() > 10'000) {
      std::erase_if(a->template_client_msg_ids, [&](const auto& e) {
        return now - e.second.time >= options_.template_client_msg_id_seconds;
      });
    }
    auto seen = a->template_client_msg_ids.find(key);
    if (seen != a->template_client_msg_ids.end() && now - seen->second.time < options_.template_client_msg_id_seconds) {
      return TemplateSend{Json{{"errcode", 0}, {"errmsg", "ok"}, {"msgid", seen->second.msgid}}, std::nullopt};
    }
  }
  QRSCENE_TRY(charge(*a, "message/template/send"));
  const std::int64_t msgid = kTemplateMsgIdBase + ++next_msg_id_;
  if (!client_msg_id.empty()) a->template_client_msg_ids[key] = {msgid, now};

  Json shown{{"template_id", t->first},
             {"title", t->second.title},
             {"data", *data},
             {"content", render(t->second.content, *data, options_.template_legacy_display)},
             {"msgid", msgid}};
  if (const Json* url = member(body, "url")) shown["url"] = *url;
  if (miniprogram != nullptr) shown["miniprogram"] = *miniprogram;
  a->received.push_back(ReceivedMessage{
      std::string(appid), u->openid, now,
      Json{{"touser", u->openid}, {"msgtype", "template"}, {"template", std::move(shown)}}, nullptr});
  return TemplateSend{Json{{"errcode", 0}, {"errmsg", "ok"}, {"msgid", msgid}}, template_finished(*a, *u, msgid)};
}

void add_template_routes(ApiHost& api, Platform& platform, std::function<void(Action)> push_later) {
  api.add("POST", "/cgi-bin/message/template/send",
          [&platform, push_later = std::move(push_later)](const std::string& appid, const net::HttpRequest&,
                                                          const Json& b) -> Result<Json> {
            QRSCENE_ASSIGN_OR_RETURN(TemplateSend sent, platform.template_send(appid, b));
            if (sent.finished) push_later(std::move(*sent.finished));
            return std::move(sent.answer);
          });
  api.add("GET", "/cgi-bin/template/get_all_private_template",
          [&platform](const std::string& appid, const net::HttpRequest&, const Json&) {
            return platform.get_all_private_template(appid);
          });
}

}  // namespace qrscene::sim
