// Platform: the simulated WeChat Official Account platform behind the API host — QR tickets,
// users, tags, menus, customer-service windows, call quotas and the datacube figures — and the
// virtual users' actions that make WeChat push events (wechat-protocol.md sections 2, 6–9).
//
// The API methods take the appid a valid access_token belongs to (TokenAuthority checks tokens)
// and the request's JSON body or query values, and return the JSON WeChat would answer, or a
// wx_error() with WeChat's errcode. User actions change the state and return the push WeChat
// would send (the XML of section 6), which the PushEngine delivers.
//
// One file per WeChat area, each with that area's API host routes (add_…_routes, api_host.h):
// platform.cpp (accounts, state lookup, daily quotas), qr_codes.cpp (QR codes, tickets),
// users.cpp, tags.cpp, menus.cpp, messages.cpp (customer-service messages), media.cpp
// (temporary media: media/upload, media/get), templates.cpp (template messages and the account's
// templates), datacube.cpp (the datacube, clear_quota), virtual_users.cpp (virtual users and
// their actions) and platform_state.cpp (to_json, from_json). platform_fields.h holds what they
// share; multipart.h reads media/upload's form.
//
// Where the sources disagree (wechat-protocol.md section 10) PlatformOptions chooses; the
// defaults follow the current documentation.
// State is in memory; to_json()/from_json() save and restore it (tokens are not saved).
// Thread safety: every method may be called concurrently (one mutex).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "sim/account.h"
#include "sim/rng.h"

namespace qrscene::sim {

using Json = nlohmann::json;

struct PlatformOptions {
  std::int64_t qr_default_expire_seconds = 60;      // 30 in older docs and WxJava (section 10.1)
  std::int64_t qr_max_expire_seconds = 2'592'000;   // 30 days
  bool qr_expire_out_of_range_is_error = false;     // false: clamp (undocumented either way)
  std::int64_t qr_permanent_quota = 100'000;
  int qr_quota_errcode = 45029;                     // 40053 per a wechatpy comment (section 10.4)
  bool qr_permanent_idempotent = true;              // same permanent scene again → same ticket (10.3)
  bool qr_scene_id_unsigned = true;                 // temporary scene_id up to 2^32−1, else 2^31−1 (10.2)
  bool showqrcode_expired_404 = true;               // an expired temporary ticket's image: 404 (10.13)
  int kf_user_message_quota = 5;                    // per 48 h after a user's message; 20 per 2021 (10.7)
  bool tag_name_limit_in_bytes = false;             // 30 characters (doc) or 30 bytes (error text) (10.9)
  std::size_t menu_sub_name_bytes = 60;             // 40 in older docs (10.10)
  std::size_t menu_url_bytes = 1024;                // 256 in older docs
  std::size_t user_get_page = 10'000;
  // Temporary media (docs/simulator.md, "Temporary media"); the sources disagree on all but the first.
  std::int64_t media_lifetime_seconds = 259'200;         // "3天后media_id失效": 3 days from created_at
  int media_expired_errcode = 40007;                     // or 46001 "media data no exist"
  int media_oversize_errcode = 40006;                    // "invalid meida size" (seen 2016); 45001 in the global table
  std::size_t media_image_max_bytes = 10 * 1024 * 1024;  // 10M (the page's list); 2MB in its notes and older docs
  bool media_image_bmp = true;                           // bmp too (permanent-material docs), besides png/jpeg/jpg/gif
  bool media_thumb_media_id = true;                      // a thumb answers "thumb_media_id" (seen 2014, 2017)
  // Template messages: WeChat sends once per openid + client_msg_id "10分钟有效" (10 minutes).
  std::int64_t template_client_msg_id_seconds = 600;
  // Since 2023-05-04 WeChat drops the first line (first) and the remark, and shows each other
  // value on one line, at most 20 characters. true: show everything as before.
  bool template_legacy_display = false;
  // Daily call quotas by API name: normal accounts, then test accounts (section 9).
  std::map<std::string, std::pair<std::int64_t, std::int64_t>, std::less<>> daily_quota = {
      {"qrcode/create", {100'000, 10'000}},     {"user/get", {500, 100}},
      {"user/info", {5'000'000, 500'000}},      {"user/info/updateremark", {10'000, 10'000}},
      {"menu/create", {1'000, 100}},            {"menu/get", {10'000, 1'000}},
      {"menu/delete", {1'000, 100}},            {"message/custom/send", {500'000, 50'000}},
      {"media/upload", {100'000, 10'000}},      {"media/get", {200'000, 20'000}},
      {"message/template/send", {100'000, 10'000}},
  };
  int clear_quota_per_month = 10;
};

struct SimUser {
  std::string appid;
  std::string openid;
  std::string unionid;
  bool subscribed = false;
  std::int64_t subscribe_time = 0;    // the last follow
  std::string subscribe_scene;        // ADD_SCENE_…
  int user_source = 0;                // datacube user_source of the current follow
  std::int64_t qr_scene = 0;
  std::string qr_scene_str;
  std::string remark;
  std::string language = "zh_CN";
  std::vector<std::int64_t> tags;
  // Customer-service windows (section 7.7).
  std::int64_t message_window_until = 0;
  int message_window_left = 0;
  std::int64_t event_window_until = 0;
  int event_window_left = 0;
};

struct SimTicket {
  std::string ticket;
  std::string url;
  std::string action_name;
  std::int64_t scene_id = 0;
  std::string scene_str;
  bool string_scene = false;
  bool permanent = false;
  std::int64_t created = 0;
  std::int64_t expire_seconds = 0;  // 0 for permanent
  [[nodiscard]] std::string scene() const { return string_scene ? scene_str : std::to_string(scene_id); }
};

// What a virtual user's action caused.
struct Action {
  std::string appid;
  std::string openid;
  std::string event;      // subscribe, SCAN, unsubscribe, CLICK, VIEW, LOCATION, text, or "" (nothing pushed)
  std::string note;       // what the user saw when nothing was pushed ("二维码已过期", ...)
  std::string ticket;     // for scans
  std::string xml;        // the push body; empty when nothing is pushed
  std::int64_t create_time = 0;
};

// A customer-service or template message a virtual user received. `message` is the
// customer-service body as sent, or for a template {"touser","msgtype":"template","template":{…}}
// with the text the user sees in template.content.
struct ReceivedMessage {
  std::string appid;
  std::string openid;
  std::int64_t time = 0;
  Json message;
  std::shared_ptr<const std::string> media;  // an image/voice/video message's file, kept past its expiry
};

// A temporary media file (media/upload). `bytes` is dropped some time after it expires.
struct SimMedia {
  std::string media_id;
  std::string type;          // image, voice, video, thumb
  std::string filename;      // as uploaded
  std::string format;        // png, jpg, gif, bmp, mp3, wma, wav, amr, mp4
  std::string content_type;  // what media/get answers with (image/png, ...)
  std::int64_t created_at = 0;
  std::shared_ptr<const std::string> bytes;
};

// One of the account's templates (模板消息 → 我的模板). `content` is WeChat's template text,
// "{{first.DATA}}\n进度：{{keyword1.DATA}}\n{{remark.DATA}}".
struct SimTemplate {
  std::string template_id;
  std::string title;
  std::string content;
  std::string example;
  std::string primary_industry;
  std::string deputy_industry;
};

// A template send's answer and the TEMPLATESENDJOBFINISH push WeChat sends after it (none when
// a repeated client_msg_id answered the first send's msgid).
struct TemplateSend {
  Json answer;
  std::optional<Action> finished;
};

class Platform {
 public:
  Platform(const Clock& clock, Rng& rng, PlatformOptions options = {});

  void add_account(SimAccount account);
  [[nodiscard]] std::optional<SimAccount> account(std::string_view appid) const;
  [[nodiscard]] std::vector<SimAccount> accounts() const;
  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

  // --- the API host (each counts against the account's daily quota where WeChat has one) ---
  [[nodiscard]] Result<Json> qrcode_create(std::string_view appid, const Json& body);
  // The ticket as given (already URL-decoded); kNotFound for unknown or expired tickets.
  [[nodiscard]] Result<SimTicket> ticket(std::string_view ticket) const;
  [[nodiscard]] Result<Json> user_info(std::string_view appid, std::string_view openid, std::string_view lang);
  [[nodiscard]] Result<Json> user_info_batchget(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> user_get(std::string_view appid, std::string_view next_openid);
  [[nodiscard]] Result<Json> update_remark(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> tags_create(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> tags_get(std::string_view appid);
  [[nodiscard]] Result<Json> tags_update(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> tags_delete(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> tags_members(std::string_view appid, const Json& body, bool tag);
  [[nodiscard]] Result<Json> tags_getidlist(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> user_tag_get(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> menu_create(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> menu_get(std::string_view appid);
  [[nodiscard]] Result<Json> menu_delete(std::string_view appid);
  [[nodiscard]] Result<Json> current_selfmenu_info(std::string_view appid);
  [[nodiscard]] Result<Json> custom_send(std::string_view appid, const Json& body);
  // media/upload: `type` from the query, `content_type` the request's header, `body` its bytes.
  [[nodiscard]] Result<Json> media_upload(std::string_view appid, std::string_view type, std::string_view content_type,
                                          std::string_view body);
  // media/get: a live media file of the account (40007 unknown, expired per the options).
  [[nodiscard]] Result<SimMedia> media_get(std::string_view appid, std::string_view media_id);
  [[nodiscard]] Result<TemplateSend> template_send(std::string_view appid, const Json& body);
  [[nodiscard]] Result<Json> get_all_private_template(std::string_view appid);
  [[nodiscard]] Result<Json> datacube(std::string_view appid, const Json& body, bool cumulate);
  [[nodiscard]] Result<Json> clear_quota(std::string_view appid, const Json& body);

  // --- virtual users ---
  // Creates `count` users of an account (openids minted, or `openid` when given and count is 1).
  // `following`: users who followed before (no push): the account's existing followers.
  [[nodiscard]] Result<std::vector<SimUser>> create_users(std::string_view appid, int count, std::string openid = {},
                                                          bool following = false);
  [[nodiscard]] Result<SimUser> user(std::string_view appid, std::string_view openid) const;
  [[nodiscard]] std::vector<SimUser> users(std::string_view appid) const;
  [[nodiscard]] std::vector<SimTicket> tickets(std::string_view appid) const;
  // Scans a ticket or a url (http://weixin.qq.com/q/…). A non-follower who follows pushes
  // subscribe with qrscene_ and Ticket; one who does not follow pushes nothing; a follower pushes SCAN.
  [[nodiscard]] Result<Action> scan(std::string_view appid, std::string_view openid, std::string_view ticket_or_url,
                                    bool follow);
  // Follows without a QR code; `scene` is an ADD_SCENE_… value (default ADD_SCENE_SEARCH).
  [[nodiscard]] Result<Action> follow(std::string_view appid, std::string_view openid, std::string_view scene);
  [[nodiscard]] Result<Action> unfollow(std::string_view appid, std::string_view openid);
  [[nodiscard]] Result<Action> click(std::string_view appid, std::string_view openid, std::string_view key);
  [[nodiscard]] Result<Action> view(std::string_view appid, std::string_view openid, std::string_view url);
  [[nodiscard]] Result<Action> location(std::string_view appid, std::string_view openid, double latitude,
                                        double longitude, double precision);
  [[nodiscard]] Result<Action> text(std::string_view appid, std::string_view openid, std::string_view content);
  // The report WeChat pushes to a follower's account after a template message reached them
  // (TEMPLATESENDJOBFINISH, Status success): one push per recipient of a template send.
  [[nodiscard]] Result<Action> template_send_finished(std::string_view appid, std::string_view openid);

  [[nodiscard]] std::vector<ReceivedMessage> received(std::string_view appid, std::string_view openid) const;

  // --- what the control API sees and sets ---
  // A media file of the account, expired or not (no quota; its bytes may be gone once expired).
  [[nodiscard]] Result<SimMedia> media(std::string_view appid, std::string_view media_id) const;
  [[nodiscard]] std::int64_t media_expires_at(const SimMedia& m) const noexcept {
    return m.created_at + options_.media_lifetime_seconds;
  }
  // Adds a template; an empty template_id is minted (43 characters, as WeChat's). kAlreadyExists
  // for a template_id the account has; kInvalidArgument without a title or content.
  [[nodiscard]] Result<SimTemplate> add_template(std::string_view appid, SimTemplate t);
  [[nodiscard]] Result<std::vector<SimTemplate>> templates(std::string_view appid) const;

  // Saved state: accounts, users, tickets, tags, menus, figures, templates and media files.
  [[nodiscard]] Json to_json() const;
  [[nodiscard]] Status from_json(const Json& state);

 private:
  struct Tag {
    std::int64_t id = 0;
    std::string name;
  };
  struct DayFigures {
    std::map<int, std::pair<std::int64_t, std::int64_t>> by_source;  // user_source → (new, cancel)
    std::int64_t cumulate = -1;                                       // followers at the day's end
  };
  struct AccountState {
    SimAccount account;
    std::map<std::string, SimUser, std::less<>> users;
    std::map<std::string, std::string, std::less<>> permanent_by_scene;  // "i:123" / "s:abc" → ticket
    std::int64_t permanent_used = 0;
    std::map<std::int64_t, Tag> tags;
    std::int64_t next_tag_id = 100;
    std::optional<Json> menu;
    std::map<std::string, DayFigures> days;  // "yyyy-mm-dd" (Beijing) → figures
    std::int64_t followers = 0;
    std::int64_t quota_day = -1;
    std::map<std::string, std::int64_t, std::less<>> quota_used;
    std::int64_t clear_month = -1;
    int clears = 0;
    std::vector<ReceivedMessage> received;
    std::map<std::string, SimMedia, std::less<>> media;          // media_id → file
    std::int64_t media_swept = 0;                                // when expired files' bytes were last dropped
    std::map<std::string, SimTemplate, std::less<>> templates;   // template_id → template
    struct Sent {
      std::int64_t msgid = 0;
      std::int64_t time = 0;
    };
    std::map<std::string, Sent, std::less<>> template_client_msg_ids;  // openid + '\n' + client_msg_id
  };

  Result<AccountState*> state(std::string_view appid);
  Result<const AccountState*> state(std::string_view appid) const;
  Status charge(AccountState& a, std::string_view api);
  Result<SimUser*> find_user(AccountState& a, std::string_view openid) const;
  std::string mint_openid(const AccountState& a);
  Action push_event(AccountState& a, SimUser& u, std::string_view event, std::string extra_xml);
  Action template_finished(AccountState& a, SimUser& u, std::int64_t msg_id);
  // The account's live media file of `type` (40007 unknown or another type; expired per the options).
  Result<const SimMedia*> live_media(const AccountState& a, std::string_view media_id, std::string_view type) const;
  void drop_expired_media(AccountState& a);
  void record_follow(AccountState& a, SimUser& u, bool follow);
  std::int64_t tag_count(const AccountState& a, std::int64_t id) const;
  // The id of {"tag":{"id":…}} when it names a tag the account made (47001, 45058, 45159).
  Result<std::int64_t> user_tag_id(const AccountState& a, const Json& body) const;
  // Non-empty, at most 30 characters (or bytes), unique (45157, 45158).
  Status check_tag_name(const AccountState& a, std::string_view name, std::optional<std::int64_t> renaming) const;

  const Clock& clock_;
  Rng& rng_;
  PlatformOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, AccountState, std::less<>> accounts_;
  std::map<std::string, SimTicket, std::less<>> tickets_;          // ticket → ticket
  std::map<std::string, std::string, std::less<>> ticket_by_url_;  // url → ticket
  std::map<std::string, std::string, std::less<>> ticket_owner_;   // ticket → appid
  std::map<std::string, std::string, std::less<>> openid_owner_;   // openid → appid
  std::int64_t next_msg_id_ = 0;
};

// The Beijing (UTC+8) calendar day of a Unix time, as "yyyy-mm-dd".
[[nodiscard]] std::string beijing_date(std::int64_t unix_seconds);

}  // namespace qrscene::sim
