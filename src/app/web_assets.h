// The dashboard's files (web/src, and ECharts from npm), embedded in the binary at build time by
// cmake/QrsceneWebAssets.cmake, so that `qrscene serve` needs nothing beside it.
#pragma once

#include <span>
#include <string_view>

namespace qrscene::app {

struct WebAsset {
  std::string_view path;          // the URL path it is served at
  std::string_view content_type;
  std::string_view body;
};

[[nodiscard]] std::span<const WebAsset> web_assets();

}  // namespace qrscene::app
