#include "service/event_mapping.h"

#include <type_traits>

namespace qrscene::service {
namespace {

using namespace wechat;

// WeChat's Event (for events) or MsgType (for messages), and the key that tells two pushes of the
// same sender and second apart when there is no MsgId.
template <typename T>
std::pair<std::string, std::string> name_and_key(const T& push) {
  if constexpr (std::is_same_v<T, SubscribeEvent>) return {"subscribe", push.event_key};
  else if constexpr (std::is_same_v<T, UnsubscribeEvent>) return {"unsubscribe", ""};
  else if constexpr (std::is_same_v<T, ScanEvent>) return {"SCAN", push.scene};
  else if constexpr (std::is_same_v<T, LocationEvent>) return {"LOCATION", ""};
  else if constexpr (std::is_same_v<T, ClickEvent>) return {"CLICK", push.key};
  else if constexpr (std::is_same_v<T, ViewEvent>) return {"VIEW", push.url};
  else if constexpr (std::is_same_v<T, ViewMiniprogramEvent>) return {"view_miniprogram", push.page_path};
  else if constexpr (std::is_same_v<T, ScanCodeMenuEvent>)
    return {push.kind == ScanCodeMenuEvent::Kind::kPush ? "scancode_push" : "scancode_waitmsg", push.key};
  else if constexpr (std::is_same_v<T, PicMenuEvent>)
    return {push.kind == PicMenuEvent::Kind::kSysPhoto       ? "pic_sysphoto"
            : push.kind == PicMenuEvent::Kind::kPhotoOrAlbum ? "pic_photo_or_album"
                                                             : "pic_weixin",
            push.key};
  else if constexpr (std::is_same_v<T, LocationSelectMenuEvent>) return {"location_select", push.key};
  else if constexpr (std::is_same_v<T, TemplateSendJobFinishEvent>) return {"TEMPLATESENDJOBFINISH", ""};
  else if constexpr (std::is_same_v<T, MassSendJobFinishEvent>) return {"MASSSENDJOBFINISH", ""};
  else if constexpr (std::is_same_v<T, TextMessage>) return {"text", ""};
  else if constexpr (std::is_same_v<T, ImageMessage>) return {"image", ""};
  else if constexpr (std::is_same_v<T, VoiceMessage>) return {"voice", ""};
  else if constexpr (std::is_same_v<T, VideoMessage>) return {"video", ""};
  else if constexpr (std::is_same_v<T, ShortVideoMessage>) return {"shortvideo", ""};
  else if constexpr (std::is_same_v<T, LocationMessage>) return {"location", ""};
  else if constexpr (std::is_same_v<T, LinkMessage>) return {"link", ""};
  else {
    static_assert(std::is_same_v<T, UnknownPush>);
    std::string key;
    for (const auto& [name, value] : push.fields) {
      if (name == "EventKey") key = value;
    }
    return {push.event.empty() ? push.msg_type : push.event, key};
  }
}

template <typename T>
std::optional<std::uint64_t> msg_id_of(const T& push) {
  if constexpr (requires { push.msg_id; }) {
    return std::optional<std::uint64_t>(push.msg_id);
  } else {
    return std::nullopt;
  }
}

}  // namespace

domain::Event to_event(const Inbound& inbound, std::string_view appid) {
  domain::Event e;
  e.appid = std::string(appid);
  std::visit(
      [&e](const auto& push) {
        using T = std::decay_t<decltype(push)>;
        e.openid = push.header.from_user;
        e.create_time = push.header.create_time;
        auto [name, key] = name_and_key(push);
        e.dedup_key = domain::make_dedup_key(msg_id_of(push), e.openid, e.create_time, name, key);
        e.name = std::move(name);
        if constexpr (std::is_same_v<T, SubscribeEvent>) {
          e.kind = domain::EventKind::kSubscribe;
          e.scene = push.scene.value_or("");
          e.ticket = push.ticket;
        } else if constexpr (std::is_same_v<T, ScanEvent>) {
          e.kind = domain::EventKind::kScan;
          e.scene = push.scene;
          e.ticket = push.ticket;
        } else if constexpr (std::is_same_v<T, UnsubscribeEvent>) {
          e.kind = domain::EventKind::kUnsubscribe;
        } else if constexpr (std::is_same_v<T, TextMessage>) {
          e.kind = domain::EventKind::kOther;
          e.content = push.content;
        } else {
          e.kind = domain::EventKind::kOther;
          e.key = key;  // a menu's key, VIEW's URL: what a webhook that asked for the kind needs
        }
      },
      inbound);
  return e;
}

}  // namespace qrscene::service
