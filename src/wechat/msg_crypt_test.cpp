#include "wechat/msg_crypt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <tuple>
#include <vector>

#include "base/encoding.h"
#include "support/test_data.h"
#include "wechat/inbound.h"
#include "wechat/signature.h"

namespace qrscene::wechat {
namespace {

using qrscene::testing::read_file;

constexpr std::string_view kKeyV1 = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr std::string_view kKeyV5 = "mNnY5GekpChwqhy2c4NBH90g3hND6GeI4gii2YCvKLY";

RandomSource fixed_random(std::string bytes) {
  return [bytes = std::move(bytes)](std::span<std::uint8_t> out) {
    ASSERT_EQ(out.size(), bytes.size());
    std::memcpy(out.data(), bytes.data(), out.size());
  };
}

MsgCrypt make(std::string token, std::string_view key, std::string appid, RandomSource random = {}) {
  auto c = MsgCrypt::create(std::move(token), key, std::move(appid), std::move(random));
  EXPECT_TRUE(c) << c.error().to_string();
  return std::move(c).value();
}

std::string between(const std::string& s, std::string_view open, std::string_view close) {
  const auto a = s.find(open);
  const auto b = s.find(close, a);
  EXPECT_NE(a, std::string::npos);
  EXPECT_NE(b, std::string::npos);
  return s.substr(a + open.size(), b - a - open.size());
}

// AES-256-CBC with WeChat's IV and no padding, for crafting illegal plaintexts.
std::string raw_encrypt(std::string_view key_text, std::string plain) {
  const AesKey key = *decode_encoding_aes_key(key_text);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, key.data(), key.data());
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  std::string out(plain.size(), '\0');
  int n = 0;
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                    reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  int m = 0;
  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &m);
  EVP_CIPHER_CTX_free(ctx);
  return encode_base64(out);
}

std::string frame(std::string_view msg, std::string_view appid, std::uint32_t declared_len, int pad) {
  std::string b(16, 'r');
  b += static_cast<char>(declared_len >> 24);
  b += static_cast<char>(declared_len >> 16);
  b += static_cast<char>(declared_len >> 8);
  b += static_cast<char>(declared_len);
  b += msg;
  b += appid;
  const std::size_t target = (b.size() / 32 + 1) * 32;
  b.append(target - b.size(), static_cast<char>(pad));
  return b;
}

TEST(EncodingAesKey, DecodesNonCanonicalKeysLeniently) {
  auto k = decode_encoding_aes_key(kKeyV1);
  ASSERT_TRUE(k);
  EXPECT_EQ(to_hex(*k), "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051");
  EXPECT_EQ(to_hex(*decode_encoding_aes_key(kKeyV5)),
            "98d9d8e467a4a42870aa1cb67383411fdd20de1343e86788e208a2d980af28b6");
}

TEST(EncodingAesKey, RejectsWrongLengthOrCharacters) {
  for (std::string_view bad : {std::string_view("abc"), kKeyV1.substr(0, 42),
                               std::string_view("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"),
                               std::string_view("abcdefghijklmnopqrstuvwxyz0123456789ABCDE+G")}) {
    const auto e = decode_encoding_aes_key(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().detail, -40004);
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(MsgCrypt::create("t", kKeyV1, ""));
}

// V1: the official compatible-mode push decrypts to the documented message.
TEST(MsgCrypt, V1OfficialDemoDecrypts) {
  const auto crypt = make("spamtest", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string body = read_file("tests/data/vectors/v1_push_body.xml");
  const std::string encrypt = between(body, "<Encrypt><![CDATA[", "]]></Encrypt>");
  auto msg = crypt.open("5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132", encrypt);
  ASSERT_TRUE(msg) << msg.error().to_string();
  EXPECT_EQ(*msg, read_file("tests/data/vectors/v1_decrypted.xml"));
  EXPECT_EQ(msg->size(), 280u);
}

// V2: encrypting with a fixed random gives the exact documented reply XML.
TEST(MsgCrypt, V2SealMatchesTheOfficialReplyByteForByte) {
  const auto crypt = make("spamtest", kKeyV1, "wx2c2769f8efd9abc2", fixed_random("qcN32VnjIO1AyoK6"));
  EXPECT_EQ(crypt.seal(read_file("tests/data/vectors/v2_plaintext.xml"), 1522293145, "1320562132"),
            read_file("tests/data/vectors/v2_reply.xml"));
}

// V3: the WxJava vectors, including multi-byte UTF-8 (length counts bytes).
TEST(MsgCrypt, V3EncryptsUtf8ByByteLength) {
  const auto crypt = make("pamtest", kKeyV1, "wxb11529c136998cb6", fixed_random("aaaabbbbccccdddd"));
  const std::string short_encrypt = crypt.encrypt("我是中文abcd123");
  EXPECT_EQ(short_encrypt, "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==");
  EXPECT_EQ(crypt.encrypt(read_file("tests/data/vectors/v3_msg_long.xml")),
            read_file("tests/data/vectors/v3_encrypt_long.txt"));
  EXPECT_EQ(*crypt.open("82c962d39941aa48552f90ef55aa323dc620cc10", "1409304348", "xxxxxx", short_encrypt),
            "我是中文abcd123");
  EXPECT_EQ(compute_msg_signature("pamtest", "1409304348", "xxxxxx", read_file("tests/data/vectors/v3_encrypt_long.txt")),
            "ea88b765074e41eb8c7a75b449db34fa2fd560d5");
}

// V5: a real captured compatible-mode push: both signatures hold and it decrypts.
TEST(MsgCrypt, V5CapturedPushDecryptsAndParses) {
  const auto crypt = make("weixin", kKeyV5, "wx669ef95216eef885");
  const std::string body = read_file("tests/data/vectors/v5_push_body.xml");
  auto env = parse_encrypted_envelope(body);
  ASSERT_TRUE(env) << env.error().to_string();
  EXPECT_EQ(env->to_user, "gh_a96a4a619366");
  auto msg = crypt.open("ae70d4e343d946fc0477a5c760b95be0947fddbb", "1414387151", "917222494", env->encrypt);
  ASSERT_TRUE(msg) << msg.error().to_string();
  EXPECT_EQ(msg->size(), 279u);
  auto push = parse_inbound(*msg);
  ASSERT_TRUE(push) << push.error().to_string();
  const auto* text = std::get_if<TextMessage>(&*push);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->content, "你好");
  EXPECT_EQ(text->msg_id, 6074746557628292943ull);
  EXPECT_EQ(text->header.from_user, "olPjZjsXuQPJoV0HlruZkNzKc91E");
}

// V7: the official C# sample (WeCom origin; the receive id is a CorpID-like id).
TEST(MsgCrypt, V7OfficialCSharpSample) {
  const auto crypt = make("QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7");
  const std::string encrypt =
      "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
      "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+"
      "LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+"
      "rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
  auto msg = crypt.open("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", encrypt);
  ASSERT_TRUE(msg) << msg.error().to_string();
  EXPECT_EQ(msg->size(), 284u);
  auto push = parse_inbound(*msg);
  ASSERT_TRUE(push) << push.error().to_string();
  const auto* text = std::get_if<TextMessage>(&*push);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->content, "hello");
  EXPECT_EQ(text->header.from_user, "mycreate");
  EXPECT_EQ(text->msg_id, 4561255354251345929ull);
}

// V9: a plaintext that is already a multiple of 32 bytes gets a full block of 0x20 padding.
TEST(MsgCrypt, V9FullBlockPadding) {
  const auto crypt = make("pamtest", kKeyV1, "wxb11529c136998cb6", fixed_random("aaaabbbbccccdddd"));
  const std::string encrypt = crypt.encrypt("abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(encrypt,
            "jn1L23DB+6ELqJ+6bruv24kfnRA9CJ8qXRQfcTjuspbcu/BSVDHix6RSI3nK3z+fMd03dqZ5HIPCrQNNDa2xYd47apRHAo9FEf57/"
            "GQVWffqnF3WzheksoIGmk00BgBc");
  EXPECT_EQ(decode_base64(encrypt)->size(), 96u);
  EXPECT_EQ(*crypt.open("2b07674cc11d69d1eb5a852d4d239f5190949b19", "1409304348", "xxxxxx", encrypt),
            "abcdefghijklmnopqrstuvwxyz");
}

TEST(MsgCrypt, RoundTripsEveryLengthAroundTheBlock) {
  const auto crypt = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  std::string msg;
  for (int n = 0; n <= 130; ++n) {
    auto back = crypt.decrypt(crypt.encrypt(msg));
    ASSERT_TRUE(back) << n << ": " << back.error().to_string();
    EXPECT_EQ(*back, msg);
    msg += (n % 3 == 0) ? "中" : "x";
  }
}

TEST(MsgCrypt, DefaultRandomDiffersPerMessage) {
  const auto crypt = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  EXPECT_NE(crypt.encrypt("same"), crypt.encrypt("same"));
}

TEST(MsgCrypt, SealedReplyVerifiesAndOpens) {
  const auto crypt = make("spamtest", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string reply = crypt.seal("<xml><Content><![CDATA[hi]]></Content></xml>", 1700000000, "123");
  const std::string encrypt = between(reply, "<Encrypt><![CDATA[", "]]></Encrypt>");
  const std::string sig = between(reply, "<MsgSignature><![CDATA[", "]]></MsgSignature>");
  EXPECT_NE(reply.find("<TimeStamp>1700000000</TimeStamp>"), std::string::npos);  // seconds, not ms
  EXPECT_EQ(*crypt.open(sig, "1700000000", "123", encrypt), "<xml><Content><![CDATA[hi]]></Content></xml>");
}

// Each thread keeps its cipher set up with the last key, its CBC chain running on from message to
// message: every message must still encrypt as if under the IV alone, and a change of key must
// take. A wrong IV spoils only the random first block, which a round trip never shows, so the
// ciphertexts are compared with those of a thread that starts from nothing.
TEST(MsgCrypt, MessagesInARowAndKeysInTurnOnOneThread) {
  const auto v1 = make("t", kKeyV1, "wx2c2769f8efd9abc2", fixed_random("qcN32VnjIO1AyoK6"));
  const auto v5 = make("t", kKeyV5, "wx2c2769f8efd9abc2", fixed_random("qcN32VnjIO1AyoK6"));
  std::vector<std::string> here;
  for (int round = 0; round < 2; ++round) {
    here.push_back(v1.encrypt("<xml>first</xml>"));
    here.push_back(v1.encrypt("<xml>first</xml>"));
    EXPECT_EQ(*v1.decrypt(here.back()), "<xml>first</xml>");
    here.push_back(v5.encrypt("<xml>third</xml>"));
    EXPECT_FALSE(v1.decrypt(here.back()));  // another key: not this account's buffer
    here.push_back(v1.encrypt("<xml>second</xml>"));
  }
  // Each message on a thread of its own, so each cipher is set up from scratch.
  auto fresh_encrypt = [](std::string_view key, const char* msg) {
    std::string out;
    std::thread([&] { out = make("t", key, "wx2c2769f8efd9abc2", fixed_random("qcN32VnjIO1AyoK6")).encrypt(msg); }).join();
    return out;
  };
  std::vector<std::string> fresh;
  for (int round = 0; round < 2; ++round) {
    fresh.push_back(fresh_encrypt(kKeyV1, "<xml>first</xml>"));
    fresh.push_back(fresh_encrypt(kKeyV1, "<xml>first</xml>"));
    fresh.push_back(fresh_encrypt(kKeyV5, "<xml>third</xml>"));
    fresh.push_back(fresh_encrypt(kKeyV1, "<xml>second</xml>"));
  }
  EXPECT_EQ(here, fresh);
}

TEST(MsgCrypt, SealDrawsAFreshNonceAndSignsOverIt) {
  const auto crypt = make("spamtest", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string first = crypt.seal("<xml>r</xml>", 1700000000);
  const std::string nonce = between(first, "<Nonce><![CDATA[", "]]></Nonce>");
  EXPECT_EQ(nonce.size(), 16u);
  EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos) << nonce;
  const std::string encrypt = between(first, "<Encrypt><![CDATA[", "]]></Encrypt>");
  const std::string sig = between(first, "<MsgSignature><![CDATA[", "]]></MsgSignature>");
  EXPECT_EQ(*crypt.open(sig, "1700000000", nonce, encrypt), "<xml>r</xml>");
  EXPECT_NE(between(crypt.seal("<xml>r</xml>", 1700000000), "<Nonce><![CDATA[", "]]></Nonce>"), nonce);
}

TEST(MsgCrypt, RejectsWrongMsgSignature) {
  const auto crypt = make("spamtest", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string encrypt = crypt.encrypt("x");
  const auto sig = compute_msg_signature("spamtest", "1", "2", encrypt);
  EXPECT_TRUE(crypt.open(sig, "1", "2", encrypt));
  for (auto [s, ts, nonce] : {std::tuple{std::string(""), "1", "2"}, std::tuple{sig, "1", "3"},
                              std::tuple{compute_msg_signature("other", "1", "2", encrypt), "1", "2"}}) {
    const auto e = crypt.open(s, ts, nonce, encrypt);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(e.error().detail, -40001);
  }
}

TEST(MsgCrypt, RejectsAnotherAccountsAppId) {
  const auto ours = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  const auto theirs = make("t", kKeyV1, "wx0000000000000000");
  const auto e = ours.decrypt(theirs.encrypt("<xml/>"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().detail, -40005);
  // A prefix or extension of our AppID is not our AppID either.
  EXPECT_FALSE(ours.decrypt(make("t", kKeyV1, "wx2c2769f8efd9abc").encrypt("<xml/>")));
  EXPECT_FALSE(ours.decrypt(make("t", kKeyV1, "wx2c2769f8efd9abc2x").encrypt("<xml/>")));
}

TEST(MsgCrypt, RejectsTheWrongKey) {
  const auto right = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  const auto wrong = make("t", kKeyV5, "wx2c2769f8efd9abc2");
  for (int i = 0; i < 50; ++i) {
    const auto e = wrong.decrypt(right.encrypt(std::string(static_cast<std::size_t>(i), 'm')));
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(MsgCrypt, RejectsTamperedCiphertext) {
  const auto crypt = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string good = crypt.encrypt("<xml><a>1</a></xml>");
  // Flipping any bit of the last two ciphertext blocks garbles the padding, the length or the AppID.
  const std::string raw = *decode_base64(good);
  for (std::size_t i = raw.size() - 32; i < raw.size(); ++i) {
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(crypt.decrypt(encode_base64(bad))) << "byte " << i;
  }
}

TEST(MsgCrypt, RejectsMalformedBase64AndLengths) {
  const auto crypt = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string good = crypt.encrypt("<xml/>");
  const auto truncated = crypt.decrypt(good.substr(0, good.size() - 1));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().detail, -40010);
  EXPECT_EQ(crypt.decrypt("!!!!").error().detail, -40010);
  EXPECT_EQ(crypt.decrypt("").error().detail, -40007);
  EXPECT_EQ(crypt.decrypt(encode_base64(std::string(20, 'x'))).error().detail, -40007);  // not a block multiple
  // Whole blocks missing: the ciphertext is well-formed but the content is cut short.
  const std::string raw = *decode_base64(good);
  EXPECT_FALSE(crypt.decrypt(encode_base64(raw.substr(0, 16))));
  EXPECT_FALSE(crypt.decrypt(encode_base64(raw.substr(16))));
}

TEST(MsgCrypt, RejectsIllegalPaddingAndLength) {
  const auto crypt = make("t", kKeyV1, "wx2c2769f8efd9abc2");
  const std::string appid = "wx2c2769f8efd9abc2";
  // The framing helper with a correct pad is accepted, so each failure below is the one change.
  const std::size_t pad = 32 - (16 + 4 + 6 + appid.size()) % 32;
  std::string good_plain = frame("<xml/>", appid, 6, static_cast<int>(pad));
  EXPECT_EQ(*crypt.decrypt(raw_encrypt(kKeyV1, good_plain)), "<xml/>");

  std::string zero_pad = good_plain;
  zero_pad.back() = 0;
  EXPECT_EQ(crypt.decrypt(raw_encrypt(kKeyV1, zero_pad)).error().detail, -40008);
  std::string big_pad = good_plain;
  big_pad.back() = 33;
  EXPECT_EQ(crypt.decrypt(raw_encrypt(kKeyV1, big_pad)).error().detail, -40008);
  std::string uneven_pad = good_plain;
  uneven_pad[uneven_pad.size() - 2] = static_cast<char>(pad + 1);
  EXPECT_EQ(crypt.decrypt(raw_encrypt(kKeyV1, uneven_pad)).error().detail, -40008);
  const std::string long_len = frame("<xml/>", appid, 1000, static_cast<int>(pad));
  EXPECT_EQ(crypt.decrypt(raw_encrypt(kKeyV1, long_len)).error().detail, -40008);
  const std::string all_pad(32, static_cast<char>(32));
  EXPECT_EQ(crypt.decrypt(raw_encrypt(kKeyV1, all_pad)).error().detail, -40008);
}

}  // namespace
}  // namespace qrscene::wechat
