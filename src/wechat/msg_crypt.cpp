#include "wechat/msg_crypt.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <stdexcept>

#include "base/encoding.h"
#include "wechat/reply.h"
#include "wechat/signature.h"

namespace qrscene::wechat {
namespace {

constexpr std::size_t kRandomBytes = 16;
constexpr std::size_t kLengthBytes = 4;
constexpr std::size_t kPadBlock = 32;  // WeChat pads to 32 bytes, not to the 16-byte AES block

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Fetched once: implicit fetching by EVP_aes_256_cbc() on every init costs a lookup per message.
const EVP_CIPHER* aes_256_cbc() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

// Two contexts per thread (one each way), each keeping the key it was last set up with, so that
// a message under the same key costs no init at all: OpenSSL 3's EVP_CipherInit_ex, even for a new
// IV only, walks the provider's parameters and takes its locks, which under load cost more than
// the cipher itself (docs/benchmarks.md). Instead the context's CBC chain runs on from the last
// message, and the first block is corrected for it. CBC's IV only ever meets the first block:
// - encrypting, with `chain` the context's running IV (the last ciphertext block it produced),
//   P0 ^ IV ^ chain enciphers to E(P0 ^ IV), the bytes a fresh context gives;
// - decrypting, the first block comes out as D(C0) ^ chain instead of D(C0) ^ IV, and that block
//   is the 16 random bytes, which are thrown away unread.
struct KeyedCtx {
  CipherCtx ctx{EVP_CIPHER_CTX_new()};
  AesKey key{};
  std::array<unsigned char, 16> chain{};  // encrypting: the context's IV for its next block
  bool keyed = false;
};

constexpr std::size_t kBlock = 16;

KeyedCtx* keyed_ctx(const AesKey& key, bool encrypt) {
  thread_local std::array<KeyedCtx, 2> contexts;
  KeyedCtx& k = contexts[encrypt ? 1 : 0];
  if (k.keyed && k.key == key) return &k;
  const auto* cipher = aes_256_cbc();
  if (k.ctx == nullptr || cipher == nullptr) return nullptr;
  k.keyed = false;
  const unsigned char* iv = key.data();  // IV = the first 16 bytes of the key
  if (EVP_CipherInit_ex(k.ctx.get(), cipher, nullptr, key.data(), iv, encrypt ? 1 : 0) != 1) return nullptr;
  EVP_CIPHER_CTX_set_padding(k.ctx.get(), 0);
  k.key = key;
  std::copy_n(iv, kBlock, k.chain.begin());
  k.keyed = true;
  return &k;
}

// OpenSSL's DRBG, drawn a few kilobytes at a time: RAND_bytes per reply took its locks twice per
// push. The bytes are the random prefix inside the ciphertext and the reply's nonce, both sent out.
void userspace_random_bytes(std::span<std::uint8_t> out) {
  struct Pool {
    std::array<std::uint8_t, 4096> bytes{};
    std::size_t used = 4096;
  };
  thread_local Pool pool;
  if (out.size() > pool.bytes.size()) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) secure_random_bytes(out);
    return;
  }
  if (pool.bytes.size() - pool.used < out.size()) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) secure_random_bytes(pool.bytes);
    pool.used = 0;
  }
  std::copy_n(pool.bytes.begin() + static_cast<std::ptrdiff_t>(pool.used), out.size(), out.begin());
  pool.used += out.size();
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// AES-256-CBC without cipher padding, in place, with IV = the key's first 16 bytes; decrypting,
// the first 16 bytes (the random prefix) are not restored. Input length must be a positive
// multiple of 16.
bool aes_cbc(const AesKey& key, bool encrypt, std::string& buf) {
  KeyedCtx* k = keyed_ctx(key, encrypt);
  if (k == nullptr || buf.size() < kBlock || buf.size() % kBlock != 0) return false;
  auto* data = reinterpret_cast<unsigned char*>(buf.data());
  if (encrypt) {
    for (std::size_t i = 0; i < kBlock; ++i) data[i] ^= static_cast<unsigned char>(k->chain[i] ^ key[i]);
  }
  int out_len = 0;
  if (EVP_CipherUpdate(k->ctx.get(), data, &out_len, data, static_cast<int>(buf.size())) != 1 ||
      static_cast<std::size_t>(out_len) != buf.size()) {
    k->keyed = false;  // the chain is unknown now: set the context up from the start next time
    return false;
  }
  if (encrypt) std::copy_n(data + buf.size() - kBlock, kBlock, k->chain.begin());
  return true;
}

Error illegal_buffer(std::string what) {
  return unexpected(ErrorCode::kInvalidArgument,
                    "decrypted buffer is illegal: " + std::move(what) + " (wrong EncodingAESKey?)", -40008);
}

}  // namespace

Result<AesKey> decode_encoding_aes_key(std::string_view encoding_aes_key) {
  if (encoding_aes_key.size() != 43) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("EncodingAESKey must be 43 characters, got {}", encoding_aes_key.size()), -40004);
  }
  for (char c : encoding_aes_key) {
    if (!is_alnum(c)) {
      return unexpected(ErrorCode::kInvalidArgument,
                        "EncodingAESKey may contain only letters and digits (copy it from the WeChat console)",
                        -40004);
    }
  }
  std::string padded(encoding_aes_key);
  padded += '=';
  std::string bytes;
  if (auto st = decode_base64(padded, bytes); !st) {
    return unexpected(ErrorCode::kInvalidArgument, "EncodingAESKey: " + st.error().message, -40004);
  }
  AesKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());  // 44 chars with one '=' decode to 32 bytes
  return key;
}

Result<MsgCrypt> MsgCrypt::create(std::string token, std::string_view encoding_aes_key, std::string appid,
                                  RandomSource random) {
  QRSCENE_ASSIGN_OR_RETURN(const AesKey key, decode_encoding_aes_key(encoding_aes_key));
  if (appid.empty()) return unexpected(ErrorCode::kInvalidArgument, "AppID must not be empty");
  if (!random) random = [](std::span<std::uint8_t> out) { userspace_random_bytes(out); };
  return MsgCrypt(std::move(token), key, std::move(appid), std::move(random));
}

Result<std::string> MsgCrypt::decrypt(std::string_view encrypt) const {
  std::string buf;
  if (auto st = decode_base64(encrypt, buf); !st) {
    return unexpected(ErrorCode::kInvalidArgument, "Encrypt is not valid base64: " + st.error().message, -40010);
  }
  if (buf.empty() || buf.size() % 16 != 0) {
    return unexpected(ErrorCode::kInvalidArgument,
                      fmt::format("ciphertext length {} is not a positive multiple of 16", buf.size()), -40007);
  }
  if (!aes_cbc(key_, false, buf)) {
    return unexpected(ErrorCode::kInternal, "AES decrypt failed", -40007);
  }
  const auto pad = static_cast<unsigned char>(buf.back());
  if (pad < 1 || pad > kPadBlock) return illegal_buffer(fmt::format("padding byte {} is outside 1..32", pad));
  if (pad > buf.size()) return illegal_buffer("padding is longer than the buffer");
  for (std::size_t i = buf.size() - pad; i < buf.size(); ++i) {
    if (static_cast<unsigned char>(buf[i]) != pad) return illegal_buffer("padding bytes are not all equal");
  }
  const std::size_t content = buf.size() - pad;
  if (content < kRandomBytes + kLengthBytes) return illegal_buffer("shorter than random bytes and length");
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data()) + kRandomBytes;
  const std::size_t msg_len = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
  const std::size_t msg_start = kRandomBytes + kLengthBytes;
  if (msg_len > content - msg_start) {
    return illegal_buffer(fmt::format("message length {} exceeds the {} bytes present", msg_len, content - msg_start));
  }
  const std::string_view receive_id(buf.data() + msg_start + msg_len, content - msg_start - msg_len);
  if (receive_id != appid_) {
    return unexpected(ErrorCode::kInvalidArgument,
                      "the AppID inside the message is not this account's (message for another account?)", -40005);
  }
  buf.resize(msg_start + msg_len);
  buf.erase(0, msg_start);
  return buf;
}

Result<std::string> MsgCrypt::open(std::string_view msg_signature, std::string_view timestamp,
                                   std::string_view nonce, std::string_view encrypt) const {
  if (msg_signature.empty()) return unexpected(ErrorCode::kUnauthenticated, "msg_signature is missing", -40001);
  if (!constant_time_equal(compute_msg_signature(token_, timestamp, nonce, encrypt), msg_signature)) {
    return unexpected(ErrorCode::kUnauthenticated, "msg_signature does not match", -40001);
  }
  return decrypt(encrypt);
}

std::string MsgCrypt::encrypt(std::string_view msg) const {
  const std::size_t content = kRandomBytes + kLengthBytes + msg.size() + appid_.size();
  const std::size_t pad = kPadBlock - content % kPadBlock;  // 1..32
  std::string buf(content + pad, static_cast<char>(pad));
  auto* b = reinterpret_cast<std::uint8_t*>(buf.data());
  random_(std::span<std::uint8_t>(b, kRandomBytes));
  const auto len = static_cast<std::uint32_t>(msg.size());
  b[16] = static_cast<std::uint8_t>(len >> 24);
  b[17] = static_cast<std::uint8_t>(len >> 16);
  b[18] = static_cast<std::uint8_t>(len >> 8);
  b[19] = static_cast<std::uint8_t>(len);
  std::copy(msg.begin(), msg.end(), buf.begin() + kRandomBytes + kLengthBytes);
  std::copy(appid_.begin(), appid_.end(), buf.begin() + static_cast<std::ptrdiff_t>(kRandomBytes + kLengthBytes + msg.size()));
  if (!aes_cbc(key_, true, buf)) throw std::runtime_error("AES-256-CBC encryption failed (OpenSSL broken?)");
  return encode_base64(buf);
}

std::string MsgCrypt::seal(std::string_view reply_xml, std::int64_t timestamp) const {
  std::array<std::uint8_t, 8> nonce{};
  random_(nonce);
  return seal(reply_xml, timestamp, to_hex(nonce));
}

std::string MsgCrypt::seal(std::string_view reply_xml, std::int64_t timestamp, std::string_view nonce) const {
  const std::string encrypted = encrypt(reply_xml);
  const std::string ts = std::to_string(timestamp);
  const std::string signature = compute_msg_signature(token_, ts, nonce, encrypted);
  std::string out;
  out.reserve(encrypted.size() + signature.size() + nonce.size() + 160);
  out += "<xml>\n<Encrypt>";
  append_cdata(out, encrypted);
  out += "</Encrypt>\n<MsgSignature>";
  append_cdata(out, signature);
  out += "</MsgSignature>\n<TimeStamp>";
  out += ts;
  out += "</TimeStamp>\n<Nonce>";
  append_cdata(out, nonce);
  out += "</Nonce>\n</xml>";
  return out;
}

}  // namespace qrscene::wechat
