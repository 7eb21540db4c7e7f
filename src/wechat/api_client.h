// ApiClient: the WeChat server API for one account — QR codes and their images, users, tags,
// menus, customer-service messages, temporary media, template messages and the data cube
// (wechat-protocol.md sections 0, 2, 7, 8; media and templates in docs/wechat-client.md).
//
// Every call:
// - checks its arguments before any request (an out-of-range scene is an error, never a silent
//   change of QR type);
// - carries the token from the TokenProvider; after a token error (40001, 40014, 42001) it asks
//   for a fresh token and sends the call once more with that token — once, never in a loop;
// - retries -1 (system busy), 5xx answers and network errors with exponential backoff, but only
//   when sending twice cannot do harm. Customer-service messages, template messages without a
//   client_msg_id and tag creation are never retried blindly: their error says the outcome is
//   unknown. A media upload is retried (a second copy is an unused id that expires in 3 days), and
//   so is a template message with a client_msg_id (WeChat sends it once per openid and id);
// - returns WeChat's errcode in Error::detail with a message that says what to do.
// The showqrcode image comes from the mp host with the ticket URL-encoded exactly once.
//
// Blocking: call from a blocking pool, never from an I/O thread.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "wechat/http_transport.h"
#include "wechat/token_provider.h"

namespace qrscene::wechat {

struct ApiClientOptions {
  std::string api_base = "https://api.weixin.qq.com";
  std::string mp_base = "https://mp.weixin.qq.com";  // showqrcode's host
  std::chrono::milliseconds timeout{5'000};           // per request
  RetryPolicy retry;  // also used for token requests (AccountClients passes it on)
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: really sleep
  // Largest QR image accepted (showqrcode answers about 30 KB).
  std::size_t max_image_bytes = 2 * 1024 * 1024;
  // Per request of a media upload (up to 10 MB): `timeout` is for small JSON calls.
  std::chrono::milliseconds upload_timeout{60'000};
};

// ---- QR codes (section 2) ----

enum class QrKind { kTemporary, kPermanent };

inline constexpr std::int64_t kMaxTemporarySceneId = 4'294'967'295;   // unsigned 32-bit
inline constexpr std::int64_t kSignedSceneIdLimit = 2'147'483'647;    // safe choice, section 2.6
inline constexpr std::int64_t kMaxPermanentSceneId = 100'000;
inline constexpr std::size_t kMaxSceneStrBytes = 64;
inline constexpr std::int64_t kMaxExpireSeconds = 2'592'000;          // 30 days
inline constexpr std::int64_t kDefaultExpireSeconds = 2'592'000;      // we always send one

// Exactly one of scene_id and scene_str. expire_seconds applies to temporary codes only (sent
// always; kDefaultExpireSeconds when absent) and is an error for permanent ones.
struct QrRequest {
  QrKind kind = QrKind::kTemporary;
  std::optional<std::int64_t> scene_id;
  std::optional<std::string> scene_str;
  std::optional<std::int64_t> expire_seconds;
};

// What a QrRequest becomes on the wire, after the checks (exposed for tests and the CLI).
struct CheckedQrRequest {
  std::string action_name;   // QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE, QR_LIMIT_STR_SCENE
  std::string body;          // the JSON sent
  std::string warning;       // non-empty for a scene_id above 2^31-1 (accepted, but see 2.6)
};
[[nodiscard]] Result<CheckedQrRequest> check_qr_request(const QrRequest& request);

struct QrTicket {
  std::string ticket;
  std::string url;                    // what the QR code encodes
  std::int64_t expire_seconds = 0;    // as WeChat answered; 0 for permanent codes
  std::int64_t expires_at = 0;        // Unix seconds, counted from when we asked; 0 = never
  std::string warning;                // from check_qr_request
};

struct QrImage {
  std::string bytes;
  std::string content_type;  // WeChat says image/jpg
};

// ---- users (7.1–7.3) ----

struct UserInfo {
  bool subscribe = false;
  std::string openid;
  std::string language;
  std::int64_t subscribe_time = 0;
  std::string unionid;
  std::string remark;
  std::vector<std::int64_t> tagid_list;
  std::string subscribe_scene;
  std::int64_t qr_scene = 0;
  std::string qr_scene_str;
};

struct FollowerPage {
  std::int64_t total = 0;
  std::vector<std::string> openids;
  std::string next_openid;
};

// ---- tags (7.5) ----

struct Tag {
  std::int64_t id = 0;
  std::string name;
  std::int64_t count = 0;
};

inline constexpr std::size_t kMaxUsersPerBatchget = 100;
inline constexpr std::size_t kMaxOpenidsPerBatchtagging = 50;

// ---- customer-service messages (7.7) ----

struct CustomArticle {
  std::string title;
  std::string description;
  std::string url;
  std::string picurl;
};
struct CustomMessage {
  std::string touser;
  std::string msgtype = "text";  // text, image or news
  std::string content;           // text
  std::string media_id;          // image
  std::vector<CustomArticle> articles;  // news (exactly one, as WeChat now allows)
};

// ---- temporary media (media/upload) ----

enum class MediaType { kImage, kVoice, kVideo, kThumb };
[[nodiscard]] std::string_view to_string(MediaType type) noexcept;  // image, voice, video, thumb

inline constexpr std::int64_t kMediaLifetimeSeconds = 259'200;  // 3 days from created_at
// The largest file of each type WeChat takes (image 10 MB, voice 2 MB, video 10 MB, thumb 64 KB)
// and the file name extensions it accepts (image bmp/png/jpeg/jpg/gif, voice mp3/wma/wav/amr,
// video mp4, thumb jpg/jpeg).
[[nodiscard]] std::size_t max_media_bytes(MediaType type) noexcept;
[[nodiscard]] bool media_extension_allowed(MediaType type, std::string_view filename);

struct UploadedMedia {
  std::string media_id;          // media_id, or thumb_media_id for a thumb
  std::string type;              // as WeChat answered
  std::int64_t created_at = 0;   // WeChat's Unix time
  std::int64_t expires_at = 0;   // created_at + 3 days: after it the id answers 40007
};

// A multipart/form-data body with one file in the field `media`, as media/upload takes it.
struct MediaForm {
  std::string content_type;  // multipart/form-data; boundary=…
  std::string body;
};
// `boundary` must not occur in `bytes` (upload_media draws one that does not).
[[nodiscard]] MediaForm media_form(std::string_view filename, std::string_view bytes, std::string_view boundary);

// ---- template messages (message/template/send) ----

struct TemplateField {
  std::string value;
  std::string color;  // "#173177"; since 2023-05-04 WeChat shows every value in its default colour
};
// Since 2023-05-04 WeChat shows neither "first" nor "remark", and each other value on one line of
// at most 20 characters: put what matters in keyword fields.
struct TemplateMessage {
  std::string touser;
  std::string template_id;
  std::string url;                    // optional: where a tap goes
  std::string miniprogram_appid;      // optional: a mini program to open instead (with pagepath)
  std::string miniprogram_pagepath;
  std::map<std::string, TemplateField> data;  // "keyword1" → value, ...
  // Optional: WeChat sends once per openid + client_msg_id (for 10 minutes) and answers a repeat
  // with the first msgid; with it the send is retried like an idempotent call.
  std::string client_msg_id;
};

// ---- data cube (8) ----

struct UserSummaryRow {
  std::string ref_date;  // yyyy-mm-dd
  std::int64_t user_source = 0;
  std::int64_t new_user = 0;
  std::int64_t cancel_user = 0;
};
struct UserCumulateRow {
  std::string ref_date;
  std::int64_t cumulate_user = 0;
};

class ApiClient {
 public:
  ApiClient(HttpTransport& transport, TokenProvider& tokens, const Clock& clock, ApiClientOptions options);

  [[nodiscard]] const std::string& appid() const noexcept { return tokens_.options().appid; }
  [[nodiscard]] TokenProvider& tokens() noexcept { return tokens_; }

  // QR codes. showqrcode_url() percent-encodes the ticket once (a ticket that arrives already
  // encoded, i.e. containing '%', is decoded first: real tickets never contain '%').
  [[nodiscard]] Result<QrTicket> create_qrcode(const QrRequest& request);
  [[nodiscard]] std::string showqrcode_url(std::string_view ticket) const;
  // kNotFound for WeChat's 404 (unknown or expired ticket); kUnavailable for a body that is not
  // a JPEG or PNG image.
  [[nodiscard]] Result<QrImage> download_qrcode(std::string_view ticket);

  // Users. users_info() sends batchget in chunks of 100 and keeps the order of `openids`;
  // follower_page() is one page of user/get; followers() walks every page.
  [[nodiscard]] Result<UserInfo> user_info(std::string_view openid, std::string_view lang = "zh_CN");
  [[nodiscard]] Result<std::vector<UserInfo>> users_info(std::span<const std::string> openids,
                                                         std::string_view lang = "zh_CN");
  [[nodiscard]] Result<FollowerPage> follower_page(std::string_view next_openid = "");
  [[nodiscard]] Result<std::vector<std::string>> followers();

  // Tags. tag_users()/untag_users() send batchtagging in chunks of 50.
  [[nodiscard]] Result<Tag> create_tag(std::string_view name);  // not retried blindly
  [[nodiscard]] Result<std::vector<Tag>> tags();
  [[nodiscard]] Status update_tag(std::int64_t id, std::string_view name);
  [[nodiscard]] Status delete_tag(std::int64_t id);
  [[nodiscard]] Status tag_users(std::int64_t tag_id, std::span<const std::string> openids);
  [[nodiscard]] Status untag_users(std::int64_t tag_id, std::span<const std::string> openids);
  [[nodiscard]] Result<std::vector<std::int64_t>> user_tags(std::string_view openid);

  // Menu, as WeChat's JSON ({"button":[…]}).
  [[nodiscard]] Status create_menu(std::string_view menu_json);
  [[nodiscard]] Result<std::string> menu();  // the JSON WeChat answered
  [[nodiscard]] Status delete_menu();

  // A customer-service message (an image names a media_id of upload_media). Never retried blindly.
  [[nodiscard]] Status send_message(const CustomMessage& message);

  // Uploads a temporary media file (multipart/form-data, field `media`), checked first: a file
  // name whose extension the type takes, 1 byte up to the type's limit. Retried like an
  // idempotent call; each request may take ApiClientOptions::upload_timeout.
  [[nodiscard]] Result<UploadedMedia> upload_media(MediaType type, std::string_view filename, std::string_view bytes);

  // A template message; its msgid (the MsgID of the TEMPLATESENDJOBFINISH push that follows).
  // Needs no customer-service window, only a follower (43004 otherwise). Retried only with a
  // client_msg_id.
  [[nodiscard]] Result<std::int64_t> send_template(const TemplateMessage& message);

  // The data cube for [begin, end] (yyyy-mm-dd, inclusive, any length): asked in windows of at
  // most 7 days and stitched together in date order.
  [[nodiscard]] Result<std::vector<UserSummaryRow>> user_summary(std::string_view begin, std::string_view end);
  [[nodiscard]] Result<std::vector<UserCumulateRow>> user_cumulate(std::string_view begin, std::string_view end);

  // A raw authenticated call: `path` under the API host (e.g. "/cgi-bin/tags/get"), `body` empty
  // for GET. Returns the answer's body once it is not an error. `idempotent` allows retries.
  [[nodiscard]] Result<std::string> call(std::string_view method, std::string_view path, std::string_view query,
                                         std::string_view body, bool idempotent);

 private:
  Status action(std::string_view method, std::string_view path, std::string_view query, std::string_view body,
                bool idempotent);
  // call() with the body's Content-Type and the per-request timeout given.
  Result<std::string> call_with(std::string_view method, std::string_view path, std::string_view query,
                                std::string_view body, std::string_view content_type,
                                std::chrono::milliseconds timeout, bool idempotent);
  Result<HttpReply> send(const std::function<HttpCall()>& make, bool idempotent);
  template <class Row, class Parse>
  Result<std::vector<Row>> datacube(std::string_view path, std::string_view begin, std::string_view end, Parse parse);
  Status batch_tagging(std::string_view path, std::int64_t tag_id, std::span<const std::string> openids);

  HttpTransport& transport_;
  TokenProvider& tokens_;
  const Clock& clock_;
  ApiClientOptions options_;
};

}  // namespace qrscene::wechat
