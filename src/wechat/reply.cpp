#include "wechat/reply.h"

#include <fmt/format.h>

namespace qrscene::wechat {
namespace {

void element(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  append_cdata(out, text);
  out += "</";
  out += name;
  out += '>';
}

Status need_media_id(std::string_view media_id, std::string_view kind) {
  if (media_id.empty()) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("a {} reply needs a media_id (upload the media to WeChat first)", kind));
  }
  return {};
}

struct PayloadWriter {
  std::string& out;

  Status operator()(const TextReply& r) const {
    element(out, "MsgType", "text");
    element(out, "Content", r.content);
    return {};
  }
  Status operator()(const ImageReply& r) const {
    QRSCENE_TRY(need_media_id(r.media_id, "image"));
    element(out, "MsgType", "image");
    out += "<Image>";
    element(out, "MediaId", r.media_id);
    out += "</Image>";
    return {};
  }
  Status operator()(const VoiceReply& r) const {
    QRSCENE_TRY(need_media_id(r.media_id, "voice"));
    element(out, "MsgType", "voice");
    out += "<Voice>";
    element(out, "MediaId", r.media_id);
    out += "</Voice>";
    return {};
  }
  Status operator()(const VideoReply& r) const {
    QRSCENE_TRY(need_media_id(r.media_id, "video"));
    element(out, "MsgType", "video");
    out += "<Video>";
    element(out, "MediaId", r.media_id);
    if (!r.title.empty()) element(out, "Title", r.title);
    if (!r.description.empty()) element(out, "Description", r.description);
    out += "</Video>";
    return {};
  }
  Status operator()(const MusicReply& r) const {
    element(out, "MsgType", "music");
    out += "<Music>";
    element(out, "Title", r.title);
    element(out, "Description", r.description);
    element(out, "MusicUrl", r.music_url);
    element(out, "HQMusicUrl", r.hq_music_url);
    element(out, "ThumbMediaId", r.thumb_media_id);
    out += "</Music>";
    return {};
  }
  Status operator()(const NewsReply& r) const {
    if (r.articles.empty() || r.articles.size() > kMaxNewsArticles) {
      return unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("a news reply needs 1 to {} articles, got {}", kMaxNewsArticles, r.articles.size()));
    }
    element(out, "MsgType", "news");
    out += fmt::format("<ArticleCount>{}</ArticleCount><Articles>", r.articles.size());
    for (const auto& a : r.articles) {
      out += "<item>";
      element(out, "Title", a.title);
      element(out, "Description", a.description);
      element(out, "PicUrl", a.pic_url);
      element(out, "Url", a.url);
      out += "</item>";
    }
    out += "</Articles>";
    return {};
  }
  Status operator()(const TransferCustomerServiceReply&) const {
    element(out, "MsgType", "transfer_customer_service");
    return {};
  }
};

}  // namespace

void append_cdata(std::string& out, std::string_view text) {
  out += "<![CDATA[";
  // "]]>" would end the section: close after "]]" and reopen before ">".
  for (auto pos = text.find("]]>"); pos != std::string_view::npos; pos = text.find("]]>")) {
    out.append(text.substr(0, pos + 2));
    out += "]]><![CDATA[";
    text.remove_prefix(pos + 2);
  }
  out.append(text);
  out += "]]>";
}

Result<std::string> render_reply(const Reply& reply, std::string_view to_user, std::string_view from_user,
                                 std::int64_t create_time) {
  std::string out;
  out.reserve(256);
  out += "<xml>";
  element(out, "ToUserName", to_user);
  element(out, "FromUserName", from_user);
  out += "<CreateTime>";
  out += std::to_string(create_time);
  out += "</CreateTime>";
  QRSCENE_TRY(std::visit(PayloadWriter{out}, reply));
  out += "</xml>";
  return out;
}

}  // namespace qrscene::wechat
