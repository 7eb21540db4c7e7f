// Inbound pushes: the XML WeChat POSTs to the callback URL, parsed into typed structs
// (wechat-protocol.md section 6).
//
// parse_inbound() turns the XML of a plain push (or the decrypted inner XML of an encrypted one)
// into an Inbound, a std::variant with one alternative per event and message type. An event or
// message type we do not know is kept as an UnknownPush with all its top-level fields, never an
// error. Event and MsgType names are matched without regard to case.
//
// Input rules (each violation is an error, never a partial result):
//   - at most ParseOptions::max_bytes (64 KiB) and max_depth (8) levels of elements;
//   - valid UTF-8, no NUL bytes; no DOCTYPE (so no entities, no XXE, no billion laughs);
//   - one root element named "xml"; each known field at most once;
//   - ToUserName, FromUserName, CreateTime and MsgType present; CreateTime a non-negative integer;
//     MsgId an unsigned 64-bit integer (ordinary messages only).
//
// Errors: kInvalidArgument (detail -40002) naming the problem; kTooLarge for input over
// the size limit. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"

namespace qrscene::wechat {

// Fields every push carries.
struct PushHeader {
  std::string to_user;    // the account's original id (gh_...)
  std::string from_user;  // the sender's openid
  std::int64_t create_time = 0;  // Unix seconds
};

// --- Events (MsgType = event) ---

// A follow. Through a parametric QR code the EventKey is "qrscene_" + scene and a Ticket is given;
// other follows carry an empty EventKey or another value (e.g. "last_trade_no_..." after payment).
struct SubscribeEvent {
  PushHeader header;
  std::string event_key;             // as pushed
  std::optional<std::string> scene;  // event_key without the "qrscene_" prefix, when it had one
  std::string ticket;                // empty unless the follow came through a QR code
};
struct UnsubscribeEvent {
  PushHeader header;
};
// An existing follower scanned a parametric QR code: EventKey is the scene as it is.
struct ScanEvent {
  PushHeader header;
  std::string scene;
  std::string ticket;
};
struct LocationEvent {
  PushHeader header;
  double latitude = 0;
  double longitude = 0;
  double precision = 0;
};
struct ClickEvent {
  PushHeader header;
  std::string key;
};
struct ViewEvent {
  PushHeader header;
  std::string url;
  std::optional<std::int64_t> menu_id;
};
struct ViewMiniprogramEvent {
  PushHeader header;
  std::string page_path;
  std::optional<std::int64_t> menu_id;
};
// Menu scancode_push / scancode_waitmsg.
struct ScanCodeMenuEvent {
  enum class Kind : std::uint8_t { kPush, kWaitMsg };
  PushHeader header;
  Kind kind = Kind::kPush;
  std::string key;
  std::string scan_type;
  std::string scan_result;
};
// Menu pic_sysphoto / pic_photo_or_album / pic_weixin.
struct PicMenuEvent {
  enum class Kind : std::uint8_t { kSysPhoto, kPhotoOrAlbum, kWeixin };
  PushHeader header;
  Kind kind = Kind::kSysPhoto;
  std::string key;
  std::int64_t count = 0;
  std::vector<std::string> pic_md5s;
};
// Menu location_select.
struct LocationSelectMenuEvent {
  PushHeader header;
  std::string key;
  double latitude = 0;   // Location_X
  double longitude = 0;  // Location_Y
  std::int64_t scale = 0;
  std::string label;
  std::string poi_name;
};
struct TemplateSendJobFinishEvent {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string status;  // "success", "failed:user block", "failed: system failed"
};
struct MassSendJobFinishEvent {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string status;
  std::int64_t total_count = 0;
  std::int64_t filter_count = 0;
  std::int64_t sent_count = 0;
  std::int64_t error_count = 0;
};

// --- Ordinary messages (MsgType = text, image, ...; all carry a 64-bit MsgId) ---

struct TextMessage {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string content;
  std::optional<std::uint64_t> msg_data_id;  // only when sent from an article
  std::optional<std::int64_t> idx;
};
struct ImageMessage {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string pic_url;
  std::string media_id;
};
struct VoiceMessage {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string media_id;
  std::string format;
  std::optional<std::string> recognition;
};
// A video and a short video carry the same fields; they stay two types so that a visitor tells them apart.
struct VideoFields {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string media_id;
  std::string thumb_media_id;
};
struct VideoMessage : VideoFields {};
struct ShortVideoMessage : VideoFields {};
struct LocationMessage {
  PushHeader header;
  std::uint64_t msg_id = 0;
  double latitude = 0;   // Location_X
  double longitude = 0;  // Location_Y
  std::int64_t scale = 0;
  std::string label;
};
struct LinkMessage {
  PushHeader header;
  std::uint64_t msg_id = 0;
  std::string title;
  std::string description;
  std::string url;
};

// Any push whose MsgType or Event we do not model. Kept whole, so that it can be stored or
// forwarded; nested elements are kept as their concatenated text.
struct UnknownPush {
  PushHeader header;
  std::string msg_type;
  std::string event;  // empty unless MsgType is "event"
  std::optional<std::uint64_t> msg_id;
  std::vector<std::pair<std::string, std::string>> fields;  // every other top-level element, in order
};

using Inbound = std::variant<SubscribeEvent, UnsubscribeEvent, ScanEvent, LocationEvent, ClickEvent, ViewEvent,
                             ViewMiniprogramEvent, ScanCodeMenuEvent, PicMenuEvent, LocationSelectMenuEvent,
                             TemplateSendJobFinishEvent, MassSendJobFinishEvent, TextMessage, ImageMessage,
                             VoiceMessage, VideoMessage, ShortVideoMessage, LocationMessage, LinkMessage, UnknownPush>;

struct ParseOptions {
  std::size_t max_bytes = 64 * 1024;
  int max_depth = 8;
};

[[nodiscard]] Result<Inbound> parse_inbound(std::string_view xml, const ParseOptions& options = {});

[[nodiscard]] const PushHeader& header_of(const Inbound& inbound) noexcept;

// The outer body of an encrypted push: <xml><ToUserName/><Encrypt/></xml> (safe mode), or a plain
// push that also carries <Encrypt> (compatible mode). Encrypt is required; ToUserName may be empty.
struct EncryptedEnvelope {
  std::string to_user;
  std::string encrypt;
};
[[nodiscard]] Result<EncryptedEnvelope> parse_encrypted_envelope(std::string_view xml,
                                                                 const ParseOptions& options = {});

}  // namespace qrscene::wechat
