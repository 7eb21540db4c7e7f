// QrBundle: many channels' QR codes as one ZIP, for printing a campaign's codes at once
// (GET /api/v1/channels/qr.zip, `qrscene qr bundle`). Each channel's code is a PNG or SVG named
// "<id>-<name>.<ext>" (characters a file system refuses replaced by '_'), and index.csv lists the
// files with each channel's id, name, group, owner, kind, scene, status, url and expiry, so a print
// shop or a spreadsheet can match file to channel. Names are UTF-8 (the ZIP's UTF-8 flag is set).
//
// Errors: kInvalidArgument when a channel has no url, or more than kMaxBundleChannels are given
// (narrow the filter); the renderer's errors (a size too small for a code); kInternal from libzip.
// Thread safety: a plain function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "domain/channel.h"
#include "qr/qr_render.h"

namespace qrscene::service {

inline constexpr std::size_t kMaxBundleChannels = 2'000;
inline constexpr int kMaxBundleSize = 1'024;  // pixels of each code in a ZIP

// A file name for a channel's code: "<id>-<name>.<ext>", with / \ : * ? " < > | and control
// characters replaced by '_' and the name cut to 80 bytes on a UTF-8 boundary.
[[nodiscard]] std::string bundle_file_name(const domain::Channel& channel, std::string_view extension);

[[nodiscard]] Result<std::string> qr_bundle(const std::vector<domain::Channel>& channels, const qr::QrStyle& style,
                                            qr::ImageFormat format, std::int64_t utc_offset_seconds);

}  // namespace qrscene::service
