// The protocol part of the hot path for one SCAN push (DESIGN.md section 3): verify, parse, reply,
// in plaintext and in safe mode. Run it from the release preset:
//   cmake --workflow --preset release-bench    (or build/release/bench/micro/qrscene_micro_bench)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "base/clock.h"
#include "wechat/inbound.h"
#include "wechat/msg_crypt.h"
#include "wechat/reply.h"
#include "wechat/signature.h"

namespace {

using namespace qrscene;
using namespace qrscene::wechat;

constexpr std::int64_t kNow = 1714037059;
const std::string kToken = "AAAAA";
const std::string kTimestamp = std::to_string(kNow);
const std::string kNonce = "486452656";
const std::string kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const std::string kAppId = "wx2c2769f8efd9abc2";

const std::string kScanXml =
    "<xml><ToUserName><![CDATA[gh_45072270791c]]></ToUserName>"
    "<FromUserName><![CDATA[o7Lp5t6n59DeX3U0C7Kric9qEx-Q]]></FromUserName>"
    "<CreateTime>1714037059</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[1000]]></EventKey>"
    "<Ticket><![CDATA[gQHi8DoAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL0UweTNxNi1sdlA3RklyRnNKbUFvAAIELdnUUgMEAAAAAA==]]>"
    "</Ticket></xml>";

const FakeClock& clock() {
  static const FakeClock c(kNow);
  return c;
}

MsgCrypt make_crypt() {
  auto c = MsgCrypt::create(kToken, kAesKey, kAppId);
  if (!c) std::abort();
  return std::move(c).value();
}

// What the service does with a SCAN push: answer the channel's greeting.
std::string answer(const Inbound& push) {
  const auto& h = header_of(push);
  auto reply = render_reply(TextReply{"欢迎回来！本次扫码来自门店渠道。"}, h.from_user, h.to_user, kNow);
  return reply ? std::move(reply).value() : std::string(kSuccess);
}

void BM_PlainVerifyParseReply(benchmark::State& state) {
  const SignatureVerifier verifier(kToken, {}, clock());
  const std::string signature = compute_signature(kToken, kTimestamp, kNonce);
  for (auto _ : state) {
    if (!verifier.verify(signature, kTimestamp, kNonce)) state.SkipWithError("verify failed");
    auto push = parse_inbound(kScanXml);
    if (!push) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(answer(*push));
  }
}
BENCHMARK(BM_PlainVerifyParseReply);

void BM_SafeVerifyDecryptParseReplyEncrypt(benchmark::State& state) {
  const SignatureVerifier verifier(kToken, {}, clock());
  const MsgCrypt crypt = make_crypt();
  const std::string encrypt = crypt.encrypt(kScanXml);
  const std::string body =
      "<xml><ToUserName><![CDATA[gh_45072270791c]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
  const std::string signature = compute_signature(kToken, kTimestamp, kNonce);
  const std::string msg_signature = compute_msg_signature(kToken, kTimestamp, kNonce, encrypt);
  for (auto _ : state) {
    if (!verifier.verify(signature, kTimestamp, kNonce)) state.SkipWithError("verify failed");
    auto envelope = parse_encrypted_envelope(body);
    if (!envelope) state.SkipWithError("envelope failed");
    auto inner = crypt.open(msg_signature, kTimestamp, kNonce, envelope->encrypt);
    if (!inner) state.SkipWithError("decrypt failed");
    auto push = parse_inbound(*inner);
    if (!push) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(crypt.seal(answer(*push), kNow, kNonce));
  }
}
BENCHMARK(BM_SafeVerifyDecryptParseReplyEncrypt);

void BM_VerifySignature(benchmark::State& state) {
  const SignatureVerifier verifier(kToken, {}, clock());
  const std::string signature = compute_signature(kToken, kTimestamp, kNonce);
  for (auto _ : state) benchmark::DoNotOptimize(verifier.verify(signature, kTimestamp, kNonce).has_value());
}
BENCHMARK(BM_VerifySignature);

void BM_ParseScan(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(parse_inbound(kScanXml).has_value());
}
BENCHMARK(BM_ParseScan);

void BM_Decrypt(benchmark::State& state) {
  const MsgCrypt crypt = make_crypt();
  const std::string encrypt = crypt.encrypt(kScanXml);
  for (auto _ : state) benchmark::DoNotOptimize(crypt.decrypt(encrypt).has_value());
}
BENCHMARK(BM_Decrypt);

// Safe mode's parts, one by one: the envelope's XML, msg_signature and the decryption, the sealing
// of the reply (encryption, its msg_signature and XML).
std::string envelope_of(const std::string& encrypt) {
  return "<xml><ToUserName><![CDATA[gh_45072270791c]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
}

void BM_ParseEnvelope(benchmark::State& state) {
  const std::string body = envelope_of(make_crypt().encrypt(kScanXml));
  for (auto _ : state) benchmark::DoNotOptimize(parse_encrypted_envelope(body).has_value());
}
BENCHMARK(BM_ParseEnvelope);

void BM_Open(benchmark::State& state) {
  const MsgCrypt crypt = make_crypt();
  const std::string encrypt = crypt.encrypt(kScanXml);
  const std::string msg_signature = compute_msg_signature(kToken, kTimestamp, kNonce, encrypt);
  for (auto _ : state) benchmark::DoNotOptimize(crypt.open(msg_signature, kTimestamp, kNonce, encrypt).has_value());
}
BENCHMARK(BM_Open);

void BM_Seal(benchmark::State& state) {
  const MsgCrypt crypt = make_crypt();
  auto push = parse_inbound(kScanXml);
  if (!push) std::abort();
  const std::string reply = answer(*push);
  for (auto _ : state) benchmark::DoNotOptimize(crypt.seal(reply, kNow, kNonce));
}
BENCHMARK(BM_Seal);

void BM_RenderTextReply(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(render_reply(TextReply{"欢迎关注"}, "o7Lp5t6n59DeX3U0C7Kric9qEx-Q", "gh_45072270791c", kNow));
  }
}
BENCHMARK(BM_RenderTextReply);

}  // namespace

BENCHMARK_MAIN();
