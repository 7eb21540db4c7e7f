// Fuzzes the push parser with arbitrary bytes: it must return a value or an error, never crash,
// hang, leak or read out of bounds, and a parsed push must carry its required header fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wechat/inbound.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  if (auto push = qrscene::wechat::parse_inbound(xml); push) {
    if (qrscene::wechat::header_of(*push).from_user.empty()) std::abort();  // the parser promised it
  }
  (void)qrscene::wechat::parse_encrypted_envelope(xml);
  return 0;
}
