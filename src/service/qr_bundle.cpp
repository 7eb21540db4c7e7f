#include "service/qr_bundle.h"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "base/strings.h"
#include "service/table_export.h"

namespace qrscene::service {
namespace {

// "2026-12-31 10:00" in the store's local time; "" for 0 (a permanent code).
std::string local_time(std::int64_t unix_seconds, std::int64_t offset) {
  if (unix_seconds == 0) return "";
  const std::int64_t t = unix_seconds + offset;
  const std::int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  const std::int64_t second = t - day * 86400;
  return fmt::format("{} {:02}:{:02}", format_iso_date(day), second / 3600, second % 3600 / 60);
}

Error zip_failure(std::string_view what, zip_error_t* e) {
  return Error{ErrorCode::kInternal, fmt::format("making the ZIP: {}: {}", what, zip_error_strerror(e))};
}

// The archive in memory: files added from buffers that must outlive close().
class MemoryZip {
 public:
  MemoryZip() {
    zip_error_init(&error_);
    source_ = zip_source_buffer_create(nullptr, 0, 0, &error_);
    if (source_ != nullptr) archive_ = zip_open_from_source(source_, ZIP_TRUNCATE, &error_);
    if (archive_ != nullptr) zip_source_keep(source_);  // the bytes are read from it after zip_close
  }
  ~MemoryZip() {
    if (archive_ != nullptr) zip_discard(archive_);
    if (source_ != nullptr) zip_source_free(source_);
    zip_error_fini(&error_);
  }
  MemoryZip(const MemoryZip&) = delete;
  MemoryZip& operator=(const MemoryZip&) = delete;

  [[nodiscard]] Status opened() {
    if (archive_ == nullptr) return zip_failure("open", &error_);
    return {};
  }
  // `bytes` is kept until close(); `store`: no compression (PNG is compressed already).
  [[nodiscard]] Status add(const std::string& name, std::string bytes, bool store) {
    kept_.push_back(std::make_unique<std::string>(std::move(bytes)));
    const std::string& data = *kept_.back();
    zip_source_t* s = zip_source_buffer(archive_, data.data(), data.size(), 0);
    if (s == nullptr) return zip_failure(name, zip_get_error(archive_));
    const zip_int64_t index = zip_file_add(archive_, name.c_str(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(s);
      return zip_failure(name, zip_get_error(archive_));
    }
    if (store && zip_set_file_compression(archive_, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0) {
      return zip_failure(name, zip_get_error(archive_));
    }
    return {};
  }
  [[nodiscard]] Result<std::string> close() {
    if (zip_close(archive_) != 0) return zip_failure("close", zip_get_error(archive_));
    archive_ = nullptr;
    if (zip_source_open(source_) != 0) return zip_failure("read back", zip_source_error(source_));
    zip_source_seek(source_, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(source_);
    zip_source_seek(source_, 0, SEEK_SET);
    std::string out(static_cast<std::size_t>(std::max<zip_int64_t>(size, 0)), '\0');
    const zip_int64_t read = zip_source_read(source_, out.data(), out.size());
    zip_source_close(source_);
    if (read != size) return zip_failure("read back", zip_source_error(source_));
    return out;
  }

 private:
  zip_error_t error_{};
  zip_source_t* source_ = nullptr;
  zip_t* archive_ = nullptr;
  std::vector<std::unique_ptr<std::string>> kept_;
};

}  // namespace

std::string bundle_file_name(const domain::Channel& c, std::string_view extension) {
  std::string name;
  for (const char ch : c.name) {
    const auto u = static_cast<unsigned char>(ch);
    const bool refused = u < 0x20 || u == 0x7f || std::string_view("/\\:*?\"<>|").find(ch) != std::string_view::npos;
    name += refused ? '_' : ch;
  }
  if (name.size() > 80) {
    std::size_t cut = 80;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    name.resize(cut);
  }
  return fmt::format("{}-{}.{}", c.id, name, extension);
}

Result<std::string> qr_bundle(const std::vector<domain::Channel>& channels, const qr::QrStyle& style,
                              qr::ImageFormat format, std::int64_t utc_offset_seconds) {
  if (channels.size() > kMaxBundleChannels) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("{} channels match: a ZIP holds at most {}; narrow it by group, owner or status",
                                  channels.size(), kMaxBundleChannels));
  }
  const bool svg = format == qr::ImageFormat::kSvg;
  MemoryZip zip;
  QRSCENE_TRY(zip.opened());
  Table index{"channels", {"file", "id", "name", "group", "owner", "kind", "scene", "status", "url", "expires_at"}, {}};
  for (const auto& c : channels) {
    if (c.url.empty()) {
      return unexpected(ErrorCode::kInvalidArgument, fmt::format("channel {} ({}) has no QR url yet", c.id, c.name));
    }
    QRSCENE_ASSIGN_OR_RETURN(auto image, qr::render(c.url, style, format));
    const std::string file = bundle_file_name(c, svg ? "svg" : "png");
    QRSCENE_TRY(zip.add(file, std::move(image), /*store=*/!svg));
    index.rows.push_back({file, c.id, c.name, c.group, c.owner, std::string(domain::to_string(c.kind)), c.scene,
                          std::string(domain::to_string(c.status)), c.url, local_time(c.expires_at, utc_offset_seconds)});
  }
  QRSCENE_TRY(zip.add("index.csv", to_csv(index), /*store=*/false));
  return zip.close();
}

}  // namespace qrscene::service
