// PushCodec: one account's side of WeChat's push protocol (wechat-protocol.md §3–6), so the
// callback handler is one straight walk: open the push, decide, seal the reply.
//
// open() takes a POSTed push from its query and body to the parsed message: the signature and the
// timestamp window; the mode (an encrypted push to a plain-mode account, or a plaintext one to a
// safe-mode account, is refused); for an encrypted push its envelope, msg_signature over Encrypt,
// decryption with the current EncodingAESKey or — until previous_key_until — the previous one, and
// the AppID inside; then the XML (no DTD, no entities), ToUserName against the account's original
// id, and a FromUserName. seal() makes the passive reply: encrypted with the key the push came with
// when it came encrypted, plain otherwise.
//
// Thread safety: immutable after create(); open and seal may run concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/clock.h"
#include "base/result.h"
#include "wechat/inbound.h"
#include "wechat/msg_crypt.h"
#include "wechat/signature.h"

namespace qrscene::wechat {

// As set in WeChat's console: plaintext, compatible (plain with an Encrypt element), safe (AES).
enum class PushMode : std::uint8_t { kPlain, kCompatible, kSafe };
[[nodiscard]] std::optional<PushMode> push_mode_from(std::string_view text) noexcept;

struct PushAccount {
  std::string appid;
  std::string original_id;  // gh_…: the ToUserName pushes must carry ("" = not checked)
  std::string token;
  PushMode mode = PushMode::kPlain;
  std::string encoding_aes_key;           // compatible and safe mode
  std::string previous_encoding_aes_key;  // accepted until previous_key_until ("" = none)
  std::int64_t previous_key_until = 0;    // Unix seconds
};

// The callback URL's query parameters, decoded.
struct PushQuery {
  std::string signature;
  std::string timestamp;
  std::string nonce;
  std::string msg_signature;
  std::string encrypt_type;  // "aes": the body is an encrypted envelope
};

struct OpenedPush {
  Inbound message;
  const MsgCrypt* sealer = nullptr;  // the key the push came with (nullptr: it came in plaintext)
};

// A push refused, and whether for its signature (or timestamp window) or for its content.
struct PushRefusal {
  Error error;
  bool signature = false;
};

class PushCodec {
 public:
  // Errors: kInvalidArgument when an AES key is malformed, or missing for the account's mode.
  [[nodiscard]] static Result<PushCodec> create(PushAccount account, SignatureOptions options, const Clock& clock);

  // GET /wechat: the URL check; the caller answers echostr once this holds.
  [[nodiscard]] Status verify_url(const PushQuery& query) const;
  [[nodiscard]] std::variant<OpenedPush, PushRefusal> open(const PushQuery& query, std::string_view body) const;
  // The reply's XML as WeChat takes it for `push`: as it is for a plaintext push, else encrypted
  // with the key the push came with, under a fresh nonce.
  [[nodiscard]] std::string seal(const OpenedPush& push, std::string reply_xml, std::int64_t now) const;

  [[nodiscard]] const PushAccount& account() const noexcept { return account_; }

 private:
  PushCodec(PushAccount account, SignatureVerifier verifier, const Clock& clock)
      : account_(std::move(account)), verifier_(std::move(verifier)), clock_(&clock) {}

  PushAccount account_;
  SignatureVerifier verifier_;
  std::optional<MsgCrypt> crypt_;
  std::optional<MsgCrypt> previous_crypt_;
  const Clock* clock_;
};

}  // namespace qrscene::wechat
