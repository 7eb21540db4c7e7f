// Fuzzes WXBizMsgCrypt decryption with arbitrary Encrypt values, and checks that whatever we
// encrypt decrypts back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wechat/msg_crypt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto crypt = [] {
    auto c = qrscene::wechat::MsgCrypt::create("spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
                                                "wx2c2769f8efd9abc2");
    if (!c) std::abort();
    return std::move(c).value();
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)crypt.decrypt(input);

  const std::string sealed = crypt.encrypt(input);
  auto back = crypt.decrypt(sealed);
  if (!back || *back != input) std::abort();
  return 0;
}
