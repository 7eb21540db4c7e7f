// Passive replies: the XML body of the HTTP response to a push (wechat-protocol.md section 3.4).
//
// A Reply is one of the message kinds WeChat accepts; render_reply() wraps it in the envelope
// (ToUserName = the follower's openid, FromUserName = the account's gh_ id, CreateTime in Unix
// seconds). Text goes into CDATA sections; a "]]>" inside the text is split across two sections so
// that it reaches the follower intact. When there is nothing to say, answer kSuccess.
//
// Errors: render_reply returns kInvalidArgument for a news reply with no articles or more than
// kMaxNewsArticles, and for an image/voice/video reply without a media_id.
// Thread safety: pure functions over values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace qrscene::wechat {

// The body that tells WeChat "received, nothing to say" (an empty body also works).
inline constexpr std::string_view kSuccess = "success";

// WeChat accepts up to 8 articles in a reply to an event (1 for replies to a user's message).
inline constexpr std::size_t kMaxNewsArticles = 8;

struct TextReply {
  std::string content;
};
struct ImageReply {
  std::string media_id;
};
struct VoiceReply {
  std::string media_id;
};
struct VideoReply {
  std::string media_id;
  std::string title;        // optional
  std::string description;  // optional
};
struct MusicReply {
  std::string title;
  std::string description;
  std::string music_url;
  std::string hq_music_url;
  std::string thumb_media_id;
};
struct NewsArticle {
  std::string title;
  std::string description;
  std::string pic_url;
  std::string url;
};
struct NewsReply {
  std::vector<NewsArticle> articles;
};
// Hands the conversation to WeChat's customer-service system.
struct TransferCustomerServiceReply {};

using Reply = std::variant<TextReply, ImageReply, VoiceReply, VideoReply, MusicReply, NewsReply,
                           TransferCustomerServiceReply>;

// The reply XML. `to_user` is the follower's openid (the push's FromUserName), `from_user` the
// account's original id (the push's ToUserName).
[[nodiscard]] Result<std::string> render_reply(const Reply& reply, std::string_view to_user,
                                               std::string_view from_user, std::int64_t create_time);

// Appends <![CDATA[text]]>, splitting any "]]>" in the text so the section cannot be closed early.
void append_cdata(std::string& out, std::string_view text);

}  // namespace qrscene::wechat
