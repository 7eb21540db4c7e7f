// The catalogue of bad input, each class sent to the running service over HTTP (signed where the
// class is about what comes after the signature): every one gets its clear non-2xx answer and
// leaves nothing behind — no event, no follower, no job, no channel. The same push done right is
// then stored, so each case failed for its own reason.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/encoding.h"
#include "integration/service_sim_fixture.h"
#include "qr/qr_code.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public ServiceSimTest {
 protected:
  static std::string push_xml(std::int64_t t, const std::string& from = "o1") {
    return fmt::format(
        "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[{}]]></FromUserName>"
        "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
        "<EventKey><![CDATA[]]></EventKey></xml>",
        from, t);
  }
  static std::string replace(std::string s, std::string_view what, std::string_view with) {
    const auto at = s.find(what);
    if (at != std::string::npos) s.replace(at, what.size(), with);
    return s;
  }
  // A PNG of 64×64 whose header claims 40000×40000 (its CRC made good): 1.6 GB if believed.
  static std::string bomb_png() {
    std::string png = *qr::encode_png(*qr::rasterize(*qr::encode("x"), 64));
    auto put32 = [&png](std::size_t at, std::uint32_t v) {
      for (int i = 0; i < 4; ++i) png[at + static_cast<std::size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    };
    put32(16, 40'000);
    put32(20, 40'000);
    std::uint32_t crc = 0xffffffffu;
    for (std::size_t i = 12; i < 29; ++i) {
      crc ^= static_cast<unsigned char>(png[i]);
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    put32(29, crc ^ 0xffffffffu);
    return png;
  }
  // What the service stores, in one line: compared before and after each case.
  std::string stored() {
    std::string out;
    for (const char* app : {kPlainApp, kSafeApp}) {
      out += fmt::format("{}: events {} followers {} jobs {} channels {}; ", app, *runtime_->store().event_count(app),
                         *runtime_->store().follower_count(app), runtime_->store().job_counts(app)->pending,
                         runtime_->channels().list(app)->size());
    }
    return out;
  }
  // Bytes written to the service as they are; the status line's code of what comes back (0: none).
  unsigned raw(const std::string& bytes) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(runtime_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return 0;
    }
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[256] = {};
    const auto n = ::recv(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (n < 12) return 0;
    return static_cast<unsigned>(std::atoi(buf + 9));
  }
  // An Encrypt element's base64 as WXBizMsgCrypt makes it, from a plaintext we choose whole
  // (random 16, length, message, AppID, padding), so that the padding itself can be wrong.
  static std::string encrypt_raw(const std::string& key43, std::string plain) {
    const std::string text = key43 + "=";
    std::string key(48, '\0');  // EVP_DecodeBlock is lenient about the last character's bits, as WeChat is
    EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()), reinterpret_cast<const unsigned char*>(text.data()),
                    static_cast<int>(text.size()));
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                       reinterpret_cast<const unsigned char*>(key.data()));
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    std::string out(plain.size() + 32, '\0');
    int n = 0, m = 0;
    EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                      reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &m);
    EVP_CIPHER_CTX_free(ctx);
    out.resize(static_cast<std::size_t>(n + m));
    return encode_base64(out);
  }
  std::string safe_query(const std::string& encrypt, std::int64_t ts = kStart, std::string nonce = "n1") const {
    const std::string t = std::to_string(ts);
    return signed_query(ts, nonce) + "&encrypt_type=aes&msg_signature=" +
           wechat::compute_msg_signature(kToken, t, nonce, encrypt);
  }
  static std::string envelope(const std::string& encrypt) {
    return "<xml><ToUserName><![CDATA[gh_safe]]></ToUserName><Encrypt><![CDATA[" + encrypt + "]]></Encrypt></xml>";
  }
};

TEST_F(BadInputTest, EachClassIsRefusedClearlyAndStoresNothing) {
  auto c = config();
  c.server.max_body_bytes = 16 * 1024;
  start(c);
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  const std::string before = stored();
  const std::string plain = std::string("/wechat/") + kPlainApp;
  const std::string safe = std::string("/wechat/") + kSafeApp;
  const std::string xml = push_xml(kStart);
  const std::string ts = std::to_string(kStart);
  auto crypt = wechat::MsgCrypt::create(kToken, kNewKey, kSafeApp);
  ASSERT_TRUE(crypt);
  const std::string good_encrypt = crypt->encrypt(xml);
  std::string nested = xml;
  std::string deep;
  for (int i = 0; i < 40; ++i) deep = "<a>" + deep + "</a>";
  nested = replace(nested, "</xml>", deep + "</xml>");
  // Plaintext laid out as WXBizMsgCrypt does, with a bad last byte (the padding length).
  auto layout = [&](const std::string& appid, char pad) {
    std::string p(16, 'r');
    const auto n = static_cast<std::uint32_t>(xml.size());
    p += {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
    p += xml + appid;
    const std::size_t k = 32 - p.size() % 32;
    p += std::string(k, static_cast<char>(k));
    p.back() = pad;
    return p;
  };

  struct Case {
    const char* what;
    std::string path, query, body;
    unsigned status;
    const char* says = "";  // a phrase the answer must contain
  };
  const std::vector<Case> cases{
      // Who sent it.
      {"no signature", plain, fmt::format("timestamp={}&nonce=n1", kStart), xml, 401},
      {"forged signature", plain, fmt::format("signature={}&timestamp={}&nonce=n1", std::string(40, 'a'), kStart), xml, 401},
      {"signed with another token", plain,
       fmt::format("signature={}&timestamp={}&nonce=n1", wechat::compute_signature("othertoken", ts, "n1"), kStart), xml,
       401},
      {"signature for other parameters", plain, replace(signed_query(kStart), "nonce=n1", "nonce=n2"), xml, 401},
      {"no timestamp", plain, fmt::format("signature={}&nonce=n1", wechat::compute_signature(kToken, "", "n1")), xml, 401},
      {"no nonce", plain, fmt::format("signature={}&timestamp={}", wechat::compute_signature(kToken, ts, ""), kStart), xml,
       401},
      {"timestamp far in the past", plain, signed_query(kStart - 86'400), xml, 401},
      {"timestamp far in the future", plain, signed_query(kStart + 86'400), xml, 401},
      {"timestamp not a number", plain,
       fmt::format("signature={}&timestamp=12ab&nonce=n1", wechat::compute_signature(kToken, "12ab", "n1")), xml, 400},
      {"replay of a request captured an hour ago", plain, signed_query(kStart - 3'600, "captured"),
       push_xml(kStart - 3'600), 401},
      // What it says.
      {"empty body", plain, signed_query(kStart), "", 400},
      {"not XML", plain, signed_query(kStart), R"({"ToUserName":"gh_plain000001"})", 400},
      {"malformed XML", plain, signed_query(kStart), "<xml><ToUserName>", 400},
      {"a DTD with an external entity (XXE)", plain, signed_query(kStart),
       "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
           replace(xml, "<![CDATA[o1]]>", "&x;"),
       400},
      {"billion laughs", plain, signed_query(kStart),
       "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
       "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>" + replace(xml, "<![CDATA[o1]]>", "&c;"),
       400},
      {"deep nesting", plain, signed_query(kStart), nested, 400},
      {"a body over the limit", plain, signed_query(kStart), replace(xml, "o1", std::string(20'000, 'o')), 413},
      {"invalid UTF-8", plain, signed_query(kStart), replace(xml, "o1", "o\xC3\x28"), 400},
      {"a NUL byte", plain, signed_query(kStart), replace(xml, "o1", std::string("o\0x", 3)), 400},
      {"no FromUserName", plain, signed_query(kStart), replace(xml, "<FromUserName><![CDATA[o1]]></FromUserName>", ""),
       400},
      {"an empty FromUserName", plain, signed_query(kStart), replace(xml, "<![CDATA[o1]]>", ""), 400},
      {"no CreateTime", plain, signed_query(kStart), replace(xml, "<CreateTime>" + ts + "</CreateTime>", ""), 400},
      {"CreateTime not a number", plain, signed_query(kStart), replace(xml, ts, "yesterday"), 400},
      {"a negative CreateTime", plain, signed_query(kStart), replace(xml, ts, "-5"), 400},
      {"no MsgType", plain, signed_query(kStart), replace(xml, "<MsgType><![CDATA[event]]></MsgType>", ""), 400},
      {"MsgId beyond 64 bits", plain, signed_query(kStart),
       fmt::format("<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
                   "<CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>"
                   "<MsgId>184467440737095516160</MsgId></xml>",
                   kStart),
       400},
      {"FromUserName twice", plain, signed_query(kStart),
       replace(xml, "<CreateTime>", "<FromUserName><![CDATA[o2]]></FromUserName><CreateTime>"), 400},
      {"another account's ToUserName", plain, signed_query(kStart), replace(xml, "gh_plain000001", "gh_other000001"),
       400},
      {"an account we do not serve", "/wechat/wxnotconfigured0001", signed_query(kStart), xml, 404},
      {"plaintext to a safe-mode account", safe, signed_query(kStart), xml, 400},
      // Encrypted pushes.
      {"no msg_signature", safe, signed_query(kStart) + "&encrypt_type=aes", envelope(good_encrypt), 401},
      {"wrong msg_signature", safe,
       signed_query(kStart) + "&encrypt_type=aes&msg_signature=" + std::string(40, '0'), envelope(good_encrypt), 401},
      {"msg_signature over another ciphertext", safe, safe_query(crypt->encrypt(push_xml(kStart, "o9"))),
       envelope(good_encrypt), 401},
      {"no Encrypt element", safe, safe_query(""), "<xml><ToUserName><![CDATA[gh_safe]]></ToUserName></xml>", 400},
      {"truncated base64", safe, safe_query(good_encrypt.substr(0, 50)), envelope(good_encrypt.substr(0, 50)), 400},
      {"garbage base64", safe, safe_query("!!!!not-base64$$$$"), envelope("!!!!not-base64$$$$"), 400},
      {"base64 of a few bytes", safe, safe_query("AAAA"), envelope("AAAA"), 400},
      {"oversized base64", safe, safe_query(std::string(30'000, 'A')), envelope(std::string(30'000, 'A')), 413},
      {"another AppID after decryption", safe, safe_query(encrypt_raw(kNewKey, layout("wxsomeoneelse0001", 0))),
       envelope(encrypt_raw(kNewKey, layout("wxsomeoneelse0001", 0))), 400},
      {"padding of zero", safe, safe_query(encrypt_raw(kNewKey, layout(kSafeApp, 0))),
       envelope(encrypt_raw(kNewKey, layout(kSafeApp, 0))), 400},
      {"padding longer than a block", safe, safe_query(encrypt_raw(kNewKey, layout(kSafeApp, 40))),
       envelope(encrypt_raw(kNewKey, layout(kSafeApp, 40))), 400},
      {"encrypted with a key we do not have", safe,
       safe_query(encrypt_raw("0123456789012345678901234567890123456789abc", layout(kSafeApp, 0))),
       envelope(encrypt_raw("0123456789012345678901234567890123456789abc", layout(kSafeApp, 0))), 400},
  };
  for (const auto& k : cases) {
    auto reply = post(k.path, k.query, k.body);
    ASSERT_TRUE(reply) << k.what;
    EXPECT_EQ(reply->body.find("sqlite"), std::string::npos) << k.what << ": " << reply->body;
    EXPECT_EQ(reply->status, k.status) << k.what << ": " << reply->body;
    EXPECT_FALSE(reply->body.empty()) << k.what << ": an answer that says what is wrong";
    EXPECT_EQ(stored(), before) << k.what;
  }
  EXPECT_GE(cases.size(), 40U);

  // The HTTP layer, on a raw socket.
  const std::string host = fmt::format("Host: 127.0.0.1:{}\r\n", runtime_->port());
  const std::string target = "POST " + plain + "?" + signed_query(kStart) + " HTTP/1.1\r\n";
  struct Raw {
    const char* what;
    std::string bytes;
    unsigned status;
  };
  std::string flood = target + host;
  for (int i = 0; i < 400; ++i) flood += fmt::format("X-Flood-{}: {}\r\n", i, std::string(40, 'x'));
  const std::vector<Raw> raws{
      {"Content-Length and Transfer-Encoding (smuggling)",
       target + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"two Content-Lengths", target + host + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", 400},
      {"a header flood", flood + "\r\n", 431},
      {"a chunked body over the limit",
       target + host + "Transfer-Encoding: chunked\r\n\r\n" + fmt::format("{:x}\r\n", 20'000) + std::string(20'000, 'x') +
           "\r\n0\r\n\r\n",
       413},
      {"a request line that is not HTTP", "HELLO THERE\r\n\r\n", 400},
      {"a wrong method", "PUT " + plain + "?" + signed_query(kStart) + " HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n",
       405},
      // RFC 9112 section 6: only a lone final "chunked" frames a body.
      {"Transfer-Encoding: chunked, identity (the chunks read as a second request)",
       target + host + "Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400},
      {"an unknown transfer coding with Content-Length",
       target + host + "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello", 400},
      {"two Transfer-Encoding headers",
       target + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"a header of 11,974 bytes (the limit is 8 KiB)", target + host + "X-Pad: " + std::string(11'974, 'p') + "\r\n\r\n",
       431},
  };
  for (const auto& r : raws) {
    EXPECT_EQ(raw(r.bytes), r.status) << r.what;
    EXPECT_EQ(stored(), before) << r.what;
  }

  // The admin API.
  struct Admin {
    const char* what;
    std::string method, path, body, token;
    unsigned status;
  };
  auto with_app = [](std::string fields) { return fmt::format(R"({{"appid":"{}",{}}})", kPlainApp, fields); };
  const std::vector<Admin> admin{
      {"no token", "POST", "/api/v1/channels", R"({"name":"x"})", "", 401},
      {"a wrong token", "POST", "/api/v1/channels", R"({"name":"x"})", "not-the-token", 401},
      {"JSON that does not parse", "POST", "/api/v1/channels", R"({"name":)", kAdminToken, 400},
      {"JSON that is not an object", "POST", "/api/v1/channels", R"(["x"])", kAdminToken, 400},
      {"a name that is a number", "POST", "/api/v1/channels", R"({"name":5})", kAdminToken, 400},
      {"no name", "POST", "/api/v1/channels", R"({"kind":"permanent"})", kAdminToken, 400},
      {"an unknown kind", "POST", "/api/v1/channels", R"({"name":"x","kind":"forever"})", kAdminToken, 400},
      {"a conversion without a person", "POST", "/api/v1/conversions", R"({"kind":"order","value_cents":5})", kAdminToken,
       400},
      {"a spend beyond the maximum", "POST", "/api/v1/channels",
       with_app(R"("name":"x","kind":"permanent","spend_cents":9223372036854775807)"), kAdminToken, 400},
      {"a spend below zero", "POST", "/api/v1/channels", with_app(R"("name":"x","kind":"permanent","spend_cents":-1)"), kAdminToken,
       400},
      {"a spend that is not an integer", "POST", "/api/v1/channels",
       with_app(R"("name":"x","kind":"permanent","spend_cents":1e300)"), kAdminToken, 400},
      {"a conversion value beyond the maximum", "POST", "/api/v1/conversions",
       with_app(R"("external_id":"e1","openid":"o1","kind":"order","value_cents":9223372036854775807,"occurred_at":1714010400)"),
       kAdminToken, 400},
      {"a name that is not UTF-8", "POST", "/api/v1/channels", with_app("\"name\":\"\xd6\xd0\xce\xc4\",\"kind\":\"permanent\""),
       kAdminToken, 400},
      {"a logo claiming 40000x40000 pixels", "POST", "/api/v1/qr",
       R"({"url":"http://weixin.qq.com/q/x","logo_base64":")" + encode_base64(bomb_png()) + R"("})", kAdminToken, 400},
  };
  // No answer carries a database's words or a statement (SQL once reached an overview's 400).
  auto internal_text = [](const std::string& body) {
    for (const char* leak : {"sqlite", "postgresql", "SQLSTATE", "SELECT ", "INSERT ", "UPDATE "}) {
      if (body.find(leak) != std::string::npos) return true;
    }
    return false;
  };
  for (const auto& k : admin) {
    auto reply = api(k.method, k.path, k.body, k.token);
    ASSERT_TRUE(reply) << k.what;
    EXPECT_EQ(reply->status, k.status) << k.what << ": " << reply->body;
    EXPECT_FALSE(internal_text(reply->body)) << k.what << ": " << reply->body;
    EXPECT_EQ(stored(), before) << k.what;
  }
  const std::string channels_csv = std::string("/api/v1/channels/import?appid=") + kPlainApp;
  auto gbk = api("POST", channels_csv, "name,group\r\nA,\xd6\xd0\xce\xc4\r\n", kAdminToken, "text/csv");
  ASSERT_TRUE(gbk);
  EXPECT_EQ(gbk->status, 400U) << gbk->body;
  EXPECT_THAT(gbk->body, HasSubstr("line 2"));
  EXPECT_THAT(gbk->body, HasSubstr("UTF-8"));
  EXPECT_EQ(stored(), before);

  // The same push, signed and encrypted correctly, is stored: the cases failed for their reason.
  auto ok = post(plain, signed_query(kStart), replace(xml, "<EventKey><![CDATA[]]>", "<EventKey><![CDATA[qrscene_" + a.scene + "]]>"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200U) << ok->body;
  auto ok_safe = post(safe, safe_query(good_encrypt), envelope(good_encrypt));
  ASSERT_TRUE(ok_safe);
  EXPECT_EQ(ok_safe->status, 200U) << ok_safe->body;
  EXPECT_NE(stored(), before);
  EXPECT_EQ(*runtime_->store().event_count(kPlainApp), 1);
  EXPECT_EQ(*runtime_->store().event_count(kSafeApp), 1);
}

}  // namespace
}  // namespace qrscene
