#include "wechat/http_transport.h"

#include "base/strings.h"

namespace qrscene::wechat {

std::string_view HttpReply::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

}  // namespace qrscene::wechat
