// SimAccount: one Official Account as the simulator knows it — its credentials for the API host
// and how it pushes to its developer's callback URL (wechat-protocol.md sections 1, 3 and 4).
#pragma once

#include <string>
#include <vector>

namespace qrscene::sim {

enum class PushMode { kPlain, kCompatible, kSafe };  // 明文, 兼容, 安全

struct SimAccount {
  std::string appid;
  std::string secret;
  bool test_account = false;             // test-account quotas (200 tokens a day, ...)
  std::vector<std::string> ip_whitelist;  // empty: no whitelist
  std::string original_id;               // gh_… (ToUserName of pushes); derived from appid when empty
  std::string token;                     // the callback Token (3–32 letters and digits)
  std::string encoding_aes_key;          // 43 characters; needed for compatible and safe mode
  PushMode mode = PushMode::kPlain;
  std::string callback_url;              // where pushes go; empty: events are recorded, not pushed
  bool verified = true;                  // 认证: unverified accounts get 48001 for QR codes and datacube
  bool unionid = false;                  // bound to an Open Platform account: users have a unionid
};

[[nodiscard]] const char* to_string(PushMode mode) noexcept;

}  // namespace qrscene::sim
