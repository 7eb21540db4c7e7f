// Platform's temporary media (platform.h): media/upload (multipart/form-data, the file in the
// field `media`) and media/get, files kept in memory for 3 days, and the API host routes.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include "sim/api_host.h"
#include "sim/multipart.h"
#include "sim/platform.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

struct MediaKind {
  std::string_view type;
  std::array<std::string_view, 5> extensions;  // "" pads
  std::size_t max_bytes;                        // image: PlatformOptions::media_image_max_bytes
};

// The four types and their limits (新增临时素材): image 10M, voice 2M, video 10MB, thumb 64KB.
constexpr std::array<MediaKind, 4> kKinds{{
    {"image", {"bmp", "png", "jpeg", "jpg", "gif"}, 0},
    {"voice", {"mp3", "wma", "wav", "amr", ""}, 2 * 1024 * 1024},
    {"video", {"mp4", "", "", "", ""}, 10 * 1024 * 1024},
    {"thumb", {"jpg", "jpeg", "", "", ""}, 64 * 1024},
}};

const MediaKind* kind_of(std::string_view type) {
  for (const auto& k : kKinds) {
    if (k.type == type) return &k;
  }
  return nullptr;
}

// The lower-case extension of a file name ("" when it has none).
std::string extension_of(std::string_view filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == filename.size()) return {};
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// An image's format from its first bytes (the magic numbers of PNG, JPEG, GIF and BMP), or "".
std::string_view sniff_image(std::string_view b) {
  if (b.starts_with(std::string_view("\x89PNG\r\n\x1a\n", 8))) return "png";
  if (b.starts_with("\xff\xd8\xff")) return "jpg";
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return "gif";
  if (b.size() >= 26 && b.starts_with("BM")) return "bmp";  // 14-byte file header + the smallest DIB header
  return {};
}

std::string_view content_type_of(std::string_view format) {
  if (format == "png") return "image/png";
  if (format == "jpg") return "image/jpeg";
  if (format == "gif") return "image/gif";
  if (format == "bmp") return "image/bmp";
  if (format == "mp3") return "audio/mpeg";
  if (format == "wma") return "audio/x-ms-wma";
  if (format == "wav") return "audio/x-wav";
  if (format == "amr") return "audio/amr";
  if (format == "mp4") return "video/mp4";
  return "application/octet-stream";
}

// What the body of an upload holds, read before the platform is locked: the `media` file, or
// why there is none (41005).
struct UploadedFile {
  std::string filename;
  std::string_view bytes;
};
std::optional<UploadedFile> media_file(std::string_view content_type, std::string_view body) {
  auto boundary = form_boundary(content_type);
  if (!boundary) return std::nullopt;
  auto parts = parse_form_data(body, *boundary);
  if (!parts) return std::nullopt;
  for (const auto& p : *parts) {
    // A `media` field that is not a file (no filename) carries no media.
    if (p.name == "media" && p.filename) return UploadedFile{*p.filename, p.body};
  }
  return std::nullopt;
}

}  // namespace

Result<Json> Platform::media_upload(std::string_view appid, std::string_view type, std::string_view content_type,
                                    std::string_view body) {
  const auto file = media_file(content_type, body);
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->account.verified) return wx_error(48001);  // 素材管理接口对所有认证的订阅号和服务号开放
  const MediaKind* kind = kind_of(type);
  if (kind == nullptr) return wx_error(40004);
  if (!file) return wx_error(41005);
  if (file->bytes.empty()) return wx_error(40006);
  const std::string ext = extension_of(file->filename);
  if (ext.empty() || std::find(kind->extensions.begin(), kind->extensions.end(), ext) == kind->extensions.end() ||
      (ext == "bmp" && !options_.media_image_bmp)) {
    return wx_error(40005);
  }
  // Images are judged by their content too; the other types by their extension only.
  std::string format = ext == "jpeg" ? "jpg" : ext;
  if (kind->type == "image" || kind->type == "thumb") {
    format = std::string(sniff_image(file->bytes));
    const bool allowed = kind->type == "thumb" ? format == "jpg" : !format.empty() && (format != "bmp" || options_.media_image_bmp);
    if (!allowed) return wx_error(40005);
  }
  const std::size_t limit = kind->type == "image" ? options_.media_image_max_bytes : kind->max_bytes;
  if (file->bytes.size() > limit) return wx_error(options_.media_oversize_errcode);
  QRSCENE_TRY(charge(*a, "media/upload"));
  drop_expired_media(*a);

  SimMedia m;
  do {
    m.media_id = rng_.text(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
  } while (a->media.contains(m.media_id));
  m.type = std::string(kind->type);
  m.filename = file->filename;
  m.format = format;
  m.content_type = std::string(content_type_of(format));
  m.created_at = clock_.unix_seconds();
  m.bytes = std::make_shared<const std::string>(file->bytes);
  Json answer{{"type", m.type}, {"created_at", m.created_at}};
  answer[m.type == "thumb" && options_.media_thumb_media_id ? "thumb_media_id" : "media_id"] = m.media_id;
  a->media[m.media_id] = std::move(m);
  return answer;
}

Result<const SimMedia*> Platform::live_media(const AccountState& a, std::string_view media_id,
                                             std::string_view type) const {
  auto it = a.media.find(media_id);
  if (it == a.media.end() || (!type.empty() && it->second.type != type)) return wx_error(40007);
  if (clock_.unix_seconds() >= it->second.created_at + options_.media_lifetime_seconds || !it->second.bytes) {
    return wx_error(options_.media_expired_errcode);
  }
  return &it->second;
}

void Platform::drop_expired_media(AccountState& a) {
  // The ids stay (an expired id may answer otherwise than an unknown one); the bytes go. At most
  // once a minute: an upload should not walk every file.
  const std::int64_t now = clock_.unix_seconds();
  if (a.media_swept != 0 && now - a.media_swept < 60) return;
  a.media_swept = now;
  for (auto& [id, m] : a.media) {
    if (m.bytes && now >= m.created_at + options_.media_lifetime_seconds) m.bytes.reset();
  }
}

Result<SimMedia> Platform::media_get(std::string_view appid, std::string_view media_id) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  QRSCENE_ASSIGN_OR_RETURN(const SimMedia* m, live_media(*a, media_id, ""));
  QRSCENE_TRY(charge(*a, "media/get"));
  return *m;
}

Result<SimMedia> Platform::media(std::string_view appid, std::string_view media_id) const {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(const AccountState* a, state(appid));
  auto it = a->media.find(media_id);
  if (it == a->media.end()) {
    return unexpected(ErrorCode::kNotFound, fmt::format("no media {} in {}", media_id, appid));
  }
  return it->second;
}

void add_media_routes(ApiHost& api, Platform& platform) {
  // The body is a form, not JSON: read here, an empty one included (41005, as a form without `media`).
  api.add(
      "POST", "/cgi-bin/media/upload",
      [&platform](const std::string& appid, const net::HttpRequest& req, const Json&) {
        return platform.media_upload(appid, req.query_param("type"), req.header("Content-Type"), req.body);
      },
      /*needs_body=*/false);
  api.add_raw("GET", "/cgi-bin/media/get",
              [&platform](const std::string& appid, const net::HttpRequest& req, const Json&) -> Result<net::HttpResponse> {
                QRSCENE_ASSIGN_OR_RETURN(SimMedia m, platform.media_get(appid, req.query_param("media_id")));
                if (m.type == "video") {
                  // WeChat answers a video with a link to it, not the file. Ours is the control API's.
                  const std::string host(req.header("Host"));
                  return wx_ok(Json{{"video_url", fmt::format("http://{}/sim/accounts/{}/media/{}?raw=1",
                                                              host.empty() ? "127.0.0.1" : host, appid, m.media_id)}});
                }
                net::HttpResponse r;
                r.content_type = m.content_type;
                r.body = *m.bytes;
                r.headers = {{"Content-disposition", fmt::format("attachment; filename=\"{}.{}\"", m.media_id, m.format)},
                             {"Cache-Control", "no-cache, must-revalidate"},
                             {"Date", http_date(platform.clock().unix_seconds())}};
                return r;
              });
}

}  // namespace qrscene::sim
