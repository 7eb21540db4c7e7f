// MsgCrypt: WeChat's message encryption (WXBizMsgCrypt) for compatible and safe mode, exactly as
// wechat-protocol.md section 4 describes it.
//
//   AESKey    = base64_decode(EncodingAESKey + "=")   32 bytes; lenient about the last char's bits
//   cipher    = AES-256-CBC, IV = AESKey[0..16), no cipher padding
//   plaintext = random(16) || len(msg) as 4 bytes big-endian || msg || appid
//   padding   = PKCS#7 to a multiple of 32 bytes (k in 1..32, a full block of 32 when aligned)
//   Encrypt   = base64(ciphertext); msg_signature = sha1(sort(token, timestamp, nonce, Encrypt))
//
// Errors (Error::detail carries the official sample's code):
//   -40001 kUnauthenticated   msg_signature missing or wrong
//   -40004 kInvalidArgument   EncodingAESKey is not 43 characters of [A-Za-z0-9]
//   -40005 kInvalidArgument   the decrypted AppID is not ours
//   -40007 kInvalidArgument   ciphertext length is not a positive multiple of the AES block
//   -40008 kInvalidArgument   padding, length prefix or buffer size is impossible (wrong key?)
//   -40010 kInvalidArgument   Encrypt is not valid base64
// Thread safety: a MsgCrypt is immutable after create(); open/seal may run concurrently as long as
// the RandomSource given to create() is itself safe to call concurrently (the default is).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace qrscene::wechat {

// Fills the span with random bytes. The default is OpenSSL's CSPRNG; tests inject fixed bytes.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

using AesKey = std::array<std::uint8_t, 32>;

// Decodes a 43-character EncodingAESKey into the 32-byte AES key.
[[nodiscard]] Result<AesKey> decode_encoding_aes_key(std::string_view encoding_aes_key);

class MsgCrypt {
 public:
  // `token` and `appid` are the account's callback token and AppID (the "receive id").
  [[nodiscard]] static Result<MsgCrypt> create(std::string token, std::string_view encoding_aes_key,
                                               std::string appid, RandomSource random = {});

  // Decrypts an Encrypt value and returns the inner message (the XML of a plain push), after
  // checking the padding, the length prefix and the AppID.
  [[nodiscard]] Result<std::string> decrypt(std::string_view encrypt) const;

  // Checks msg_signature over the Encrypt value, then decrypts it.
  [[nodiscard]] Result<std::string> open(std::string_view msg_signature, std::string_view timestamp,
                                         std::string_view nonce, std::string_view encrypt) const;

  // Encrypts `msg` into an Encrypt value (base64), using 16 bytes from the RandomSource.
  [[nodiscard]] std::string encrypt(std::string_view msg) const;

  // The encrypted passive reply: <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml> with LF
  // line breaks, signed over exactly the timestamp (Unix seconds) and nonce it contains.
  [[nodiscard]] std::string seal(std::string_view reply_xml, std::int64_t timestamp, std::string_view nonce) const;
  // The same with a nonce of 16 hex digits from the RandomSource.
  [[nodiscard]] std::string seal(std::string_view reply_xml, std::int64_t timestamp) const;

  [[nodiscard]] const std::string& appid() const noexcept { return appid_; }
  [[nodiscard]] const std::string& token() const noexcept { return token_; }

 private:
  MsgCrypt(std::string token, const AesKey& key, std::string appid, RandomSource random)
      : token_(std::move(token)), key_(key), appid_(std::move(appid)), random_(std::move(random)) {}

  std::string token_;
  AesKey key_;
  std::string appid_;
  RandomSource random_;
};

}  // namespace qrscene::wechat
