#include "wechat/api_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/strings.h"

namespace qrscene::wechat {
namespace {

using Json = nlohmann::json;

bool is_token_error(std::int64_t errcode) { return errcode == 40001 || errcode == 40014 || errcode == 42001; }

Error with_context(Error e, std::string_view what) {
  e.message = fmt::format("{}: {}", what, e.message);
  return e;
}

// Appended to errors of calls with side effects that failed in a way that may hide a success.
constexpr std::string_view kNotRetried =
    " (not retried: WeChat may have acted on it, so check before sending again)";

Error not_retried(Error e) {
  e.message += kNotRetried;
  return e;
}

Error invalid(std::string message) { return unexpected(ErrorCode::kInvalidArgument, std::move(message)); }

// The body as JSON, or an error naming the call (WeChat answering something else is an outage).
Result<Json> parse_json(std::string_view body, std::string_view what) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return unexpected(ErrorCode::kUnavailable, fmt::format("{}: WeChat answered something that is not a JSON object", what));
  }
  return j;
}

std::int64_t int_or(const Json& j, std::string_view key, std::int64_t fallback = 0) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

std::string string_or(const Json& j, std::string_view key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> strings_at(const Json& j, std::string_view outer, std::string_view inner) {
  std::vector<std::string> out;
  const auto o = j.find(outer);
  if (o == j.end() || !o->is_object()) return out;
  const auto a = o->find(inner);
  if (a == o->end() || !a->is_array()) return out;
  for (const auto& v : *a) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<std::int64_t> ints_at(const Json& j, std::string_view key) {
  std::vector<std::int64_t> out;
  const auto a = j.find(key);
  if (a == j.end() || !a->is_array()) return out;
  for (const auto& v : *a) {
    if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
  }
  return out;
}

UserInfo user_from(const Json& j) {
  UserInfo u;
  u.subscribe = int_or(j, "subscribe") == 1;
  u.openid = string_or(j, "openid");
  u.language = string_or(j, "language");
  u.subscribe_time = int_or(j, "subscribe_time");
  u.unionid = string_or(j, "unionid");
  u.remark = string_or(j, "remark");
  u.tagid_list = ints_at(j, "tagid_list");
  u.subscribe_scene = string_or(j, "subscribe_scene");
  u.qr_scene = int_or(j, "qr_scene");
  u.qr_scene_str = string_or(j, "qr_scene_str");
  return u;
}

Status check_openid(std::string_view openid) {
  if (openid.empty()) return invalid("openid is empty");
  if (openid.size() > 64 || first_invalid_utf8(openid) != std::string_view::npos) {
    return invalid(fmt::format("'{}' is not an openid", openid.substr(0, 64)));
  }
  return {};
}

Status check_tag_name(std::string_view name) {
  if (name.empty()) return invalid("tag name is empty");
  if (first_invalid_utf8(name) != std::string_view::npos) return invalid("tag name is not valid UTF-8");
  // WeChat: at most 30 characters (its error text says bytes, section 10.9; it has the last word).
  if (utf8_length(name) > 30) return invalid(fmt::format("tag name '{}' is longer than 30 characters", name));
  return {};
}

Status check_tag_id(std::int64_t id) {
  if (id <= 2) return invalid(fmt::format("tag id {} is not a tag you can change (0, 1 and 2 are WeChat's own)", id));
  return {};
}

bool looks_like_image(std::string_view body) {
  return (body.size() >= 3 && body.substr(0, 3) == "\xFF\xD8\xFF") ||
         (body.size() >= 8 && body.substr(0, 8) == "\x89PNG\r\n\x1a\n");
}

constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

// The lower-case extension of a file name, "" when it has none.
std::string extension_of(std::string_view filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

std::vector<std::string_view> media_extensions(MediaType type) {
  switch (type) {
    case MediaType::kImage: return {"bmp", "png", "jpeg", "jpg", "gif"};
    case MediaType::kVoice: return {"mp3", "wma", "wav", "amr"};
    case MediaType::kVideo: return {"mp4"};
    case MediaType::kThumb: return {"jpg", "jpeg"};
  }
  return {};
}

std::string_view part_content_type(std::string_view ext) {
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "bmp") return "image/bmp";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "wma") return "audio/x-ms-wma";
  if (ext == "wav") return "audio/wav";
  if (ext == "amr") return "audio/amr";
  if (ext == "mp4") return "video/mp4";
  return "application/octet-stream";
}

bool is_field_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

}  // namespace

std::string_view to_string(MediaType type) noexcept {
  switch (type) {
    case MediaType::kImage: return "image";
    case MediaType::kVoice: return "voice";
    case MediaType::kVideo: return "video";
    case MediaType::kThumb: return "thumb";
  }
  return "image";
}

std::size_t max_media_bytes(MediaType type) noexcept {
  switch (type) {
    case MediaType::kImage: return 10 * 1024 * 1024;
    case MediaType::kVoice: return 2 * 1024 * 1024;
    case MediaType::kVideo: return 10 * 1024 * 1024;
    case MediaType::kThumb: return 64 * 1024;
  }
  return 0;
}

bool media_extension_allowed(MediaType type, std::string_view filename) {
  const auto allowed = media_extensions(type);
  return std::find(allowed.begin(), allowed.end(), extension_of(filename)) != allowed.end();
}

MediaForm media_form(std::string_view filename, std::string_view bytes, std::string_view boundary) {
  MediaForm form;
  form.content_type = fmt::format("multipart/form-data; boundary={}", boundary);
  form.body.reserve(bytes.size() + filename.size() + 2 * boundary.size() + 160);
  form.body += fmt::format(
      "--{}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n", boundary,
      filename, part_content_type(extension_of(filename)));
  form.body += bytes;
  form.body += fmt::format("\r\n--{}--\r\n", boundary);
  return form;
}

Result<CheckedQrRequest> check_qr_request(const QrRequest& r) {
  if (r.scene_id.has_value() == r.scene_str.has_value()) {
    return invalid("give exactly one of scene_id and scene_str");
  }
  const bool temporary = r.kind == QrKind::kTemporary;
  CheckedQrRequest out;
  Json scene;
  if (r.scene_id) {
    const std::int64_t id = *r.scene_id;
    if (temporary) {
      if (id < 1 || id > kMaxTemporarySceneId) {
        return invalid(fmt::format("scene_id {} is out of range: a temporary code takes 1..{} (0 is not allowed); "
                                   "use scene_str for other values",
                                   id, kMaxTemporarySceneId));
      }
      if (id > kSignedSceneIdLimit) {
        out.warning = fmt::format("scene_id {} is above 2^31-1: WeChat documents only a \"32-bit non-zero\" "
                                  "integer, and clients that read it as signed will see a negative number",
                                  id);
      }
    } else if (id < 1 || id > kMaxPermanentSceneId) {
      return invalid(fmt::format("scene_id {} is out of range: a permanent code takes 1..{}; use scene_str for "
                                 "other values",
                                 id, kMaxPermanentSceneId));
    }
    scene["scene_id"] = id;
    out.action_name = temporary ? "QR_SCENE" : "QR_LIMIT_SCENE";
  } else {
    const std::string& s = *r.scene_str;
    if (s.empty()) return invalid("scene_str is empty");
    if (s.size() > kMaxSceneStrBytes) {
      return invalid(fmt::format("scene_str is {} bytes; WeChat takes at most {}", s.size(), kMaxSceneStrBytes));
    }
    if (first_invalid_utf8(s) != std::string_view::npos) return invalid("scene_str is not valid UTF-8 (or has a NUL)");
    scene["scene_str"] = s;
    out.action_name = temporary ? "QR_STR_SCENE" : "QR_LIMIT_STR_SCENE";
  }
  Json body;
  if (temporary) {
    const std::int64_t expire = r.expire_seconds.value_or(kDefaultExpireSeconds);
    if (expire < 1 || expire > kMaxExpireSeconds) {
      return invalid(fmt::format("expire_seconds {} is out of range: 1..{} (30 days)", expire, kMaxExpireSeconds));
    }
    // Always sent: the default when omitted is 30 s or 60 s depending on the source (section 2.6).
    body["expire_seconds"] = expire;
  } else if (r.expire_seconds) {
    return invalid("expire_seconds applies to temporary codes only; permanent codes do not expire");
  }
  body["action_name"] = out.action_name;
  body["action_info"] = Json{{"scene", scene}};
  out.body = body.dump();
  return out;
}

ApiClient::ApiClient(HttpTransport& transport, TokenProvider& tokens, const Clock& clock, ApiClientOptions options)
    : transport_(transport), tokens_(tokens), clock_(clock), options_(std::move(options)) {
  options_.retry.max_attempts = std::max(1, options_.retry.max_attempts);
}

Result<HttpReply> ApiClient::send(const std::function<HttpCall()>& make, bool idempotent) {
  if (idempotent) return send_with_retries(transport_, make, options_.retry, options_.sleep);
  Result<HttpReply> reply = transport_.send(make());
  // A lost answer may hide a success: say so rather than send again. (-1 and 5xx answers are
  // reported by the caller, marked the same way.)
  if (!reply && is_transient(reply)) return not_retried(reply.error());
  return reply;
}

Result<std::string> ApiClient::call(std::string_view method, std::string_view path, std::string_view query,
                                    std::string_view body, bool idempotent) {
  return call_with(method, path, query, body, kJsonContentType, options_.timeout, idempotent);
}

Result<std::string> ApiClient::call_with(std::string_view method, std::string_view path, std::string_view query,
                                         std::string_view body, std::string_view content_type,
                                         std::chrono::milliseconds timeout, bool idempotent) {
  const std::string what(path.substr(path.rfind("/cgi-bin/") == 0 ? 9 : 1));
  auto token = tokens_.token();
  if (!token) return with_context(token.error(), "access_token");
  bool refreshed = false;
  for (;;) {
    // Rebuilt for every send: a retry after a token error must carry the new token.
    const auto make = [&] {
      HttpCall c;
      c.method = std::string(method);
      c.url = fmt::format("{}{}?access_token={}", options_.api_base, path, percent_encode(*token));
      if (!query.empty()) c.url += fmt::format("&{}", query);
      if (!body.empty()) {
        c.headers = {{"Content-Type", std::string(content_type)}};
        c.body = std::string(body);
      }
      c.timeout = timeout;
      return c;
    };
    auto reply = send(make, idempotent);
    if (!reply) return with_context(reply.error(), what);
    if (reply->status != 200) {
      return unexpected(ErrorCode::kUnavailable,
                        fmt::format("{}: WeChat answered HTTP {}{}", what, reply->status,
                                    idempotent ? "" : kNotRetried));
    }
    if (auto e = wechat_error(reply->body)) {
      if (is_token_error(e->detail) && !refreshed) {
        refreshed = true;
        token = tokens_.refresh_after_failure(*token);
        if (!token) return with_context(token.error(), "access_token");
        continue;
      }
      if (e->detail == -1 && !idempotent) return with_context(not_retried(*e), what);
      return with_context(*e, what);
    }
    // A cut-off or garbled answer is no "ok": the call may not have happened.
    if (auto whole = parse_json(reply->body, what); !whole) {
      Error e = std::move(whole).error();
      if (!idempotent) e.message += kNotRetried;
      return e;
    }
    return std::move(reply->body);
  }
}

Status ApiClient::action(std::string_view method, std::string_view path, std::string_view query,
                         std::string_view body, bool idempotent) {
  auto done = call(method, path, query, body, idempotent);
  if (!done) return std::move(done).error();
  return {};
}

// ---- QR codes ----

Result<QrTicket> ApiClient::create_qrcode(const QrRequest& request) {
  QRSCENE_ASSIGN_OR_RETURN(auto checked, check_qr_request(request));
  const std::int64_t asked_at = clock_.unix_seconds();
  // Retrying is harmless: a permanent scene maps to one ticket, and a lost temporary ticket is
  // simply never used.
  QRSCENE_ASSIGN_OR_RETURN(auto body, call("POST", "/cgi-bin/qrcode/create", "", checked.body, true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "qrcode/create"));
  QrTicket t;
  t.ticket = string_or(j, "ticket");
  t.url = string_or(j, "url");
  if (t.ticket.empty() || t.url.empty()) {
    return unexpected(ErrorCode::kUnavailable, "qrcode/create: WeChat's answer has no ticket or url");
  }
  if (request.kind == QrKind::kTemporary) {
    // An answer of 0 (seen in 2016) still honoured the requested lifetime.
    t.expire_seconds = int_or(j, "expire_seconds");
    if (t.expire_seconds <= 0) t.expire_seconds = request.expire_seconds.value_or(kDefaultExpireSeconds);
    t.expires_at = asked_at + t.expire_seconds;
  }
  t.warning = std::move(checked.warning);
  return t;
}

std::string ApiClient::showqrcode_url(std::string_view ticket) const {
  const std::string raw = ticket.find('%') != std::string_view::npos ? percent_decode(ticket) : std::string(ticket);
  return fmt::format("{}/cgi-bin/showqrcode?ticket={}", options_.mp_base, percent_encode(raw));
}

Result<QrImage> ApiClient::download_qrcode(std::string_view ticket) {
  if (ticket.empty()) return invalid("ticket is empty");
  const auto make = [&] {
    HttpCall c;
    c.url = showqrcode_url(ticket);
    c.timeout = options_.timeout;
    return c;
  };
  auto reply = send(make, true);
  if (!reply) return with_context(reply.error(), "showqrcode");
  if (reply->status == 404) {
    return unexpected(ErrorCode::kNotFound,
                      "showqrcode: WeChat has no image for this ticket (HTTP 404): the ticket is unknown, or a "
                      "temporary code has expired — create a new code");
  }
  if (reply->status != 200) {
    return unexpected(ErrorCode::kUnavailable, fmt::format("showqrcode: WeChat answered HTTP {}", reply->status));
  }
  if (reply->body.size() > options_.max_image_bytes) {
    return unexpected(ErrorCode::kTooLarge, fmt::format("showqrcode: the image is {} bytes, more than the {} allowed",
                                                        reply->body.size(), options_.max_image_bytes));
  }
  if (!looks_like_image(reply->body)) {
    if (auto e = wechat_error(reply->body)) return with_context(*e, "showqrcode");
    return unexpected(ErrorCode::kUnavailable,
                      fmt::format("showqrcode: the answer ({}, {} bytes) is not a JPEG or PNG image",
                                  reply->content_type.empty() ? "no Content-Type" : reply->content_type,
                                  reply->body.size()));
  }
  return QrImage{std::move(reply->body), std::move(reply->content_type)};
}

// ---- users ----

Result<UserInfo> ApiClient::user_info(std::string_view openid, std::string_view lang) {
  QRSCENE_TRY(check_openid(openid));
  QRSCENE_ASSIGN_OR_RETURN(
      auto body, call("GET", "/cgi-bin/user/info",
                      fmt::format("openid={}&lang={}", percent_encode(openid), percent_encode(lang)), "", true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "user/info"));
  return user_from(j);
}

Result<std::vector<UserInfo>> ApiClient::users_info(std::span<const std::string> openids, std::string_view lang) {
  for (const auto& o : openids) QRSCENE_TRY(check_openid(o));
  std::vector<UserInfo> out;
  out.reserve(openids.size());
  for (std::size_t at = 0; at < openids.size(); at += kMaxUsersPerBatchget) {
    const auto chunk = openids.subspan(at, std::min(kMaxUsersPerBatchget, openids.size() - at));
    Json list = Json::array();
    for (const auto& o : chunk) list.push_back(Json{{"openid", o}, {"lang", lang}});
    QRSCENE_ASSIGN_OR_RETURN(auto body, call("POST", "/cgi-bin/user/info/batchget", "",
                                             Json{{"user_list", list}}.dump(), true));
    QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "user/info/batchget"));
    const auto it = j.find("user_info_list");
    if (it == j.end() || !it->is_array()) {
      return unexpected(ErrorCode::kUnavailable, "user/info/batchget: the answer has no user_info_list");
    }
    for (const auto& u : *it) out.push_back(user_from(u));
  }
  return out;
}

Result<FollowerPage> ApiClient::follower_page(std::string_view next_openid) {
  QRSCENE_ASSIGN_OR_RETURN(auto body,
                           call("GET", "/cgi-bin/user/get", fmt::format("next_openid={}", percent_encode(next_openid)),
                                "", true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "user/get"));
  FollowerPage page;
  page.total = int_or(j, "total");
  page.openids = strings_at(j, "data", "openid");  // absent when count is 0
  page.next_openid = string_or(j, "next_openid");
  return page;
}

Result<std::vector<std::string>> ApiClient::followers() {
  std::vector<std::string> all;
  std::string next;
  for (;;) {
    QRSCENE_ASSIGN_OR_RETURN(auto page, follower_page(next));
    all.insert(all.end(), std::make_move_iterator(page.openids.begin()), std::make_move_iterator(page.openids.end()));
    // The last page may still carry a next_openid (wechatpy's note): stop at the first page
    // without data, and never ask for the same page twice.
    if (page.openids.empty() || page.next_openid.empty() || page.next_openid == next) break;
    next = std::move(page.next_openid);
  }
  return all;
}

// ---- tags ----

Result<Tag> ApiClient::create_tag(std::string_view name) {
  QRSCENE_TRY(check_tag_name(name));
  // Not idempotent: a lost answer to a create that worked would make the retry fail with 45157.
  QRSCENE_ASSIGN_OR_RETURN(auto body, call("POST", "/cgi-bin/tags/create", "",
                                           Json{{"tag", {{"name", name}}}}.dump(), false));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "tags/create"));
  const auto it = j.find("tag");
  if (it == j.end() || !it->is_object() || int_or(*it, "id") == 0) {
    return unexpected(ErrorCode::kUnavailable, "tags/create: the answer has no tag id");
  }
  return Tag{int_or(*it, "id"), string_or(*it, "name"), 0};
}

Result<std::vector<Tag>> ApiClient::tags() {
  QRSCENE_ASSIGN_OR_RETURN(auto body, call("GET", "/cgi-bin/tags/get", "", "", true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "tags/get"));
  std::vector<Tag> out;
  if (const auto it = j.find("tags"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) out.push_back(Tag{int_or(t, "id"), string_or(t, "name"), int_or(t, "count")});
  }
  return out;
}

Status ApiClient::update_tag(std::int64_t id, std::string_view name) {
  QRSCENE_TRY(check_tag_id(id));
  QRSCENE_TRY(check_tag_name(name));
  return action("POST", "/cgi-bin/tags/update", "", Json{{"tag", {{"id", id}, {"name", name}}}}.dump(), true);
}

Status ApiClient::delete_tag(std::int64_t id) {
  QRSCENE_TRY(check_tag_id(id));
  return action("POST", "/cgi-bin/tags/delete", "", Json{{"tag", {{"id", id}}}}.dump(), true);
}

Status ApiClient::batch_tagging(std::string_view path, std::int64_t tag_id, std::span<const std::string> openids) {
  QRSCENE_TRY(check_tag_id(tag_id));
  for (const auto& o : openids) QRSCENE_TRY(check_openid(o));
  for (std::size_t at = 0; at < openids.size(); at += kMaxOpenidsPerBatchtagging) {
    const auto chunk = openids.subspan(at, std::min(kMaxOpenidsPerBatchtagging, openids.size() - at));
    Json list = Json::array();
    for (const auto& o : chunk) list.push_back(o);
    // Tagging twice is a no-op, so retries are safe.
    auto done = call("POST", path, "", Json{{"openid_list", list}, {"tagid", tag_id}}.dump(), true);
    if (!done) {
      return with_context(done.error(), fmt::format("after {} of {} openids were done", at, openids.size()));
    }
  }
  return {};
}

Status ApiClient::tag_users(std::int64_t tag_id, std::span<const std::string> openids) {
  return batch_tagging("/cgi-bin/tags/members/batchtagging", tag_id, openids);
}

Status ApiClient::untag_users(std::int64_t tag_id, std::span<const std::string> openids) {
  return batch_tagging("/cgi-bin/tags/members/batchuntagging", tag_id, openids);
}

Result<std::vector<std::int64_t>> ApiClient::user_tags(std::string_view openid) {
  QRSCENE_TRY(check_openid(openid));
  QRSCENE_ASSIGN_OR_RETURN(auto body,
                           call("POST", "/cgi-bin/tags/getidlist", "", Json{{"openid", openid}}.dump(), true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "tags/getidlist"));
  return ints_at(j, "tagid_list");
}

// ---- menu ----

Status ApiClient::create_menu(std::string_view menu_json) {
  const Json j = Json::parse(menu_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("the menu is not a JSON object");
  const auto it = j.find("button");
  if (it == j.end() || !it->is_array() || it->empty() || it->size() > 3) {
    return invalid("the menu needs a \"button\" array of 1 to 3 buttons");
  }
  return action("POST", "/cgi-bin/menu/create", "", j.dump(), true);
}

Result<std::string> ApiClient::menu() { return call("GET", "/cgi-bin/menu/get", "", "", true); }

Status ApiClient::delete_menu() { return action("GET", "/cgi-bin/menu/delete", "", "", true); }

// ---- messages ----

Status ApiClient::send_message(const CustomMessage& m) {
  QRSCENE_TRY(check_openid(m.touser));
  Json body{{"touser", m.touser}, {"msgtype", m.msgtype}};
  if (m.msgtype == "text") {
    if (m.content.empty()) return invalid("a text message needs content");
    if (first_invalid_utf8(m.content) != std::string_view::npos) return invalid("the content is not valid UTF-8");
    body["text"] = {{"content", m.content}};
  } else if (m.msgtype == "image") {
    if (m.media_id.empty()) return invalid("an image message needs a media_id");
    body["image"] = {{"media_id", m.media_id}};
  } else if (m.msgtype == "news") {
    if (m.articles.size() != 1) return invalid("a news message takes exactly one article");
    Json articles = Json::array();
    for (const auto& a : m.articles) {
      if (a.title.empty() || a.url.empty()) return invalid("a news article needs a title and a url");
      articles.push_back({{"title", a.title}, {"description", a.description}, {"url", a.url}, {"picurl", a.picurl}});
    }
    body["news"] = {{"articles", articles}};
  } else {
    return invalid(fmt::format("msgtype '{}' is not one this client sends (text, image, news)", m.msgtype));
  }
  return action("POST", "/cgi-bin/message/custom/send", "", body.dump(), false);
}

// ---- temporary media ----

Result<UploadedMedia> ApiClient::upload_media(MediaType type, std::string_view filename, std::string_view bytes) {
  if (filename.empty()) return invalid("the file needs a name: its extension tells WeChat the format");
  if (first_invalid_utf8(filename) != std::string_view::npos || filename.find_first_of("\"\\\r\n") != std::string_view::npos) {
    return invalid("the file name must be UTF-8 without quotes, backslashes or line breaks");
  }
  if (!media_extension_allowed(type, filename)) {
    std::string list;
    for (const auto e : media_extensions(type)) list += (list.empty() ? "" : ", ") + std::string(e);
    return invalid(fmt::format("'{}' is not a file WeChat takes as {} ({})", filename, to_string(type), list));
  }
  if (bytes.empty()) return invalid(fmt::format("{} is empty", filename));
  if (bytes.size() > max_media_bytes(type)) {
    return invalid(fmt::format("{} is {} bytes; WeChat takes at most {} for {}", filename, bytes.size(),
                               max_media_bytes(type), to_string(type)));
  }
  std::string boundary;
  do {
    boundary = "----qrscene" + random_hex(12);
  } while (bytes.find(boundary) != std::string_view::npos);
  const MediaForm form = media_form(filename, bytes, boundary);
  // Retried: a second upload of the same file only leaves an unused id that expires in 3 days.
  QRSCENE_ASSIGN_OR_RETURN(auto body, call_with("POST", "/cgi-bin/media/upload",
                                                fmt::format("type={}", to_string(type)), form.body, form.content_type,
                                                options_.upload_timeout, true));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, "media/upload"));
  UploadedMedia m;
  m.media_id = string_or(j, "media_id");
  if (m.media_id.empty()) m.media_id = string_or(j, "thumb_media_id");  // what a thumb upload answers
  if (m.media_id.empty()) return unexpected(ErrorCode::kUnavailable, "media/upload: WeChat's answer has no media_id");
  m.type = string_or(j, "type");
  m.created_at = int_or(j, "created_at");
  if (m.created_at <= 0) m.created_at = clock_.unix_seconds();
  m.expires_at = m.created_at + kMediaLifetimeSeconds;
  return m;
}

// ---- template messages ----

Result<std::int64_t> ApiClient::send_template(const TemplateMessage& m) {
  QRSCENE_TRY(check_openid(m.touser));
  if (m.template_id.empty()) return invalid("template_id is empty");
  if (m.data.empty()) return invalid("a template message needs data (\"keyword1\": value, …)");
  Json data = Json::object();
  for (const auto& [name, field] : m.data) {
    if (!is_field_name(name)) return invalid(fmt::format("'{}' is not a template field name (letters, digits, _)", name));
    if (first_invalid_utf8(field.value) != std::string_view::npos) {
      return invalid(fmt::format("the value of {} is not valid UTF-8", name));
    }
    Json f{{"value", field.value}};
    if (!field.color.empty()) f["color"] = field.color;
    data[name] = std::move(f);
  }
  Json body{{"touser", m.touser}, {"template_id", m.template_id}, {"data", std::move(data)}};
  if (!m.url.empty()) {
    if (!m.url.starts_with("http://") && !m.url.starts_with("https://")) {
      return invalid(fmt::format("url '{}' must start with http:// or https://", m.url));
    }
    body["url"] = m.url;
  }
  if (!m.miniprogram_appid.empty()) {
    body["miniprogram"] = {{"appid", m.miniprogram_appid}, {"pagepath", m.miniprogram_pagepath}};
  } else if (!m.miniprogram_pagepath.empty()) {
    return invalid("miniprogram_pagepath needs miniprogram_appid");
  }
  if (!m.client_msg_id.empty()) {
    if (first_invalid_utf8(m.client_msg_id) != std::string_view::npos) return invalid("client_msg_id is not valid UTF-8");
    body["client_msg_id"] = m.client_msg_id;
  }
  // Without a client_msg_id a lost answer may hide a message the user got: never sent twice.
  QRSCENE_ASSIGN_OR_RETURN(auto answer, call("POST", "/cgi-bin/message/template/send", "", body.dump(),
                                             !m.client_msg_id.empty()));
  QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(answer, "message/template/send"));
  const std::int64_t msgid = int_or(j, "msgid");
  if (msgid == 0) {
    return unexpected(ErrorCode::kUnavailable, "message/template/send: WeChat's answer has no msgid");
  }
  return msgid;
}

// ---- data cube ----

template <class Row, class Parse>
Result<std::vector<Row>> ApiClient::datacube(std::string_view path, std::string_view begin, std::string_view end,
                                             Parse parse) {
  const auto b = parse_iso_date(begin);
  const auto e = parse_iso_date(end);
  if (!b || !e) return invalid(fmt::format("dates must be yyyy-mm-dd: '{}', '{}'", begin, end));
  if (*b > *e) return invalid(fmt::format("begin {} is after end {}", begin, end));
  std::vector<Row> out;
  // WeChat answers at most 7 days per call (end - begin <= 6).
  for (std::int64_t from = *b; from <= *e; from += 7) {
    const std::int64_t to = std::min(from + 6, *e);
    const Json request{{"begin_date", format_iso_date(from)}, {"end_date", format_iso_date(to)}};
    QRSCENE_ASSIGN_OR_RETURN(auto body, call("POST", path, "", request.dump(), true));
    QRSCENE_ASSIGN_OR_RETURN(auto j, parse_json(body, path));
    if (const auto it = j.find("list"); it != j.end() && it->is_array()) {
      for (const auto& row : *it) out.push_back(parse(row));
    }
  }
  return out;
}

Result<std::vector<UserSummaryRow>> ApiClient::user_summary(std::string_view begin, std::string_view end) {
  return datacube<UserSummaryRow>("/datacube/getusersummary", begin, end, [](const Json& r) {
    return UserSummaryRow{string_or(r, "ref_date"), int_or(r, "user_source"), int_or(r, "new_user"),
                          int_or(r, "cancel_user")};
  });
}

Result<std::vector<UserCumulateRow>> ApiClient::user_cumulate(std::string_view begin, std::string_view end) {
  return datacube<UserCumulateRow>("/datacube/getusercumulate", begin, end, [](const Json& r) {
    return UserCumulateRow{string_or(r, "ref_date"), int_or(r, "cumulate_user")};
  });
}

}  // namespace qrscene::wechat
