#include "wechat/push_codec.h"

#include <fmt/format.h>

#include <utility>

namespace qrscene::wechat {

std::optional<PushMode> push_mode_from(std::string_view text) noexcept {
  if (text == "plain") return PushMode::kPlain;
  if (text == "compatible") return PushMode::kCompatible;
  if (text == "safe") return PushMode::kSafe;
  return std::nullopt;
}

Result<PushCodec> PushCodec::create(PushAccount account, SignatureOptions options, const Clock& clock) {
  SignatureVerifier verifier(account.token, options, clock);
  PushCodec codec(std::move(account), std::move(verifier), clock);
  const PushAccount& a = codec.account_;
  if (a.mode != PushMode::kPlain || !a.encoding_aes_key.empty()) {
    if (a.encoding_aes_key.empty()) {
      return unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("account {}: compatible and safe mode need encoding_aes_key", a.appid));
    }
    auto crypt = MsgCrypt::create(a.token, a.encoding_aes_key, a.appid);
    if (!crypt) return unexpected(crypt.error().code, fmt::format("account {}: {}", a.appid, crypt.error().message));
    codec.crypt_.emplace(std::move(*crypt));
  }
  if (!a.previous_encoding_aes_key.empty()) {
    auto crypt = MsgCrypt::create(a.token, a.previous_encoding_aes_key, a.appid);
    if (!crypt) {
      return unexpected(crypt.error().code, fmt::format("account {} previous key: {}", a.appid, crypt.error().message));
    }
    codec.previous_crypt_.emplace(std::move(*crypt));
  }
  return codec;
}

Status PushCodec::verify_url(const PushQuery& query) const {
  return verifier_.verify(query.signature, query.timestamp, query.nonce);
}

std::variant<OpenedPush, PushRefusal> PushCodec::open(const PushQuery& query, std::string_view body) const {
  auto refuse = [](Error error, bool signature = false) { return PushRefusal{std::move(error), signature}; };
  if (auto ok = verifier_.verify(query.signature, query.timestamp, query.nonce); !ok) return refuse(ok.error(), true);
  const bool encrypted = query.encrypt_type == "aes";
  if (encrypted && account_.mode == PushMode::kPlain) {
    return refuse(Error{ErrorCode::kInvalidArgument,
                        "an encrypted push to an account configured for plain mode: set its mode to compatible or "
                        "safe (as in WeChat's console)"});
  }
  if (!encrypted && account_.mode == PushMode::kSafe) {
    return refuse(Error{ErrorCode::kInvalidArgument,
                        "a plaintext push to an account configured for safe mode: set its mode to match WeChat's "
                        "console"});
  }
  OpenedPush push;
  std::string decrypted;
  std::string_view xml = body;
  if (encrypted) {
    auto envelope = parse_encrypted_envelope(body);
    if (!envelope) return refuse(envelope.error());
    if (auto ok = verifier_.verify_msg(query.msg_signature, query.timestamp, query.nonce, envelope->encrypt); !ok) {
      return refuse(ok.error(), true);
    }
    auto opened = crypt_->decrypt(envelope->encrypt);
    push.sealer = &*crypt_;
    if (!opened && previous_crypt_ && clock_->unix_seconds() < account_.previous_key_until) {
      if (auto old = previous_crypt_->decrypt(envelope->encrypt)) {
        opened = std::move(old);
        push.sealer = &*previous_crypt_;
      }
    }
    if (!opened) {
      return refuse(Error{ErrorCode::kInvalidArgument,
                          fmt::format("cannot decrypt the push ({}): check encoding_aes_key against WeChat's "
                                      "console; after changing it there, keep the old one as "
                                      "previous_encoding_aes_key for a while",
                                      opened.error().message),
                          opened.error().detail});
    }
    decrypted = std::move(*opened);
    xml = decrypted;
  }
  auto inbound = parse_inbound(xml);
  if (!inbound) return refuse(inbound.error());
  const PushHeader& header = header_of(*inbound);
  if (!account_.original_id.empty() && header.to_user != account_.original_id) {
    return refuse(Error{ErrorCode::kInvalidArgument,
                        fmt::format("ToUserName '{}' is not this account's original id '{}': the push is for "
                                    "another account",
                                    header.to_user, account_.original_id)});
  }
  if (header.from_user.empty()) return refuse(Error{ErrorCode::kInvalidArgument, "FromUserName is empty"});
  push.message = std::move(*inbound);
  return push;
}

std::string PushCodec::seal(const OpenedPush& push, std::string reply_xml, std::int64_t now) const {
  if (push.sealer == nullptr) return reply_xml;
  return push.sealer->seal(reply_xml, now);
}

}  // namespace qrscene::wechat
