// The simulator over HTTP: the API host's errors, the image host, and the push engine against a
// small receiver that checks everything from the developer's side.
#include "sim/simulator.h"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <pugixml.hpp>

#include <cstdio>
#include <fstream>
#include <regex>
#include <thread>

#include "base/encoding.h"
#include "net/curl_transport.h"
#include "qr/qr_code.h"
#include "wechat/msg_crypt.h"
#include "wechat/signature.h"

namespace qrscene::sim {
namespace {

using namespace std::chrono_literals;
using net::HttpRequest;
using net::HttpResponse;

constexpr std::int64_t kStart = 1714010400;
constexpr const char* kAppId = "wxsimtest00000001";
constexpr const char* kSecret = "simtest-secret";
constexpr const char* kToken = "simtoken";
constexpr const char* kAesKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

// What the receiver does with each push.
struct ReceiverScript {
  std::string reply = "text";   // text, success, empty, json, wrong_user, http500
  int slow_attempts = 0;        // the first N pushes take longer than the push timeout
};

struct Received {
  std::string query;
  std::string body;
  std::string plain;  // the push XML after decryption
  bool signature_ok = false;
  bool msg_signature_ok = false;
};

class SimulatorHttpTest : public ::testing::Test {
 protected:
  SimulatorHttpTest() {
    SimulatorOptions o;
    o.seed = 5;
    o.push.timeout = 400ms;
    o.push_threads = 4;
    sim_ = std::make_unique<Simulator>(clock_, transport_, o);
    net::Router router;
    sim_->add_routes(router);
    server_ = std::make_unique<net::HttpServer>(io_, simulator_server_options(), std::move(router));
    EXPECT_TRUE(server_->start());

    net::Router rr;
    rr.add("GET", "/cb", [](HttpRequest& req) -> asio::awaitable<HttpResponse> {
      const bool ok = wechat::compute_signature(kToken, req.query_param("timestamp"), req.query_param("nonce")) ==
                      req.query_param("signature");
      co_return ok ? HttpResponse::text(200, req.query_param("echostr")) : HttpResponse::text(401, "bad signature");
    });
    rr.add("POST", "/cb", [this](HttpRequest& req) -> asio::awaitable<HttpResponse> { co_return co_await receive(req); });
    receiver_ = std::make_unique<net::HttpServer>(io_, net::HttpServerOptions{}, std::move(rr));
    EXPECT_TRUE(receiver_->start());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~SimulatorHttpTest() override {
    server_->stop();
    receiver_->stop();
    for (auto& t : threads_) t.join();
  }

  void add_account(PushMode mode) {
    SimAccount a;
    a.appid = kAppId;
    a.secret = kSecret;
    a.token = kToken;
    a.encoding_aes_key = kAesKey;
    a.mode = mode;
    a.original_id = "gh_simtest";
    a.callback_url = fmt::format("http://127.0.0.1:{}/cb", receiver_->port());
    sim_->add_account(a);
  }

  asio::awaitable<HttpResponse> receive(HttpRequest& req) {
    Received r;
    r.query = req.query;
    r.body = req.body;
    r.signature_ok = wechat::compute_signature(kToken, req.query_param("timestamp"), req.query_param("nonce")) ==
                     req.query_param("signature");
    auto crypt = wechat::MsgCrypt::create(kToken, kAesKey, kAppId);
    std::string openid = req.query_param("openid");
    if (req.query_param("encrypt_type") == "aes") {
      pugi::xml_document doc;
      doc.load_string(req.body.c_str());
      auto plain = crypt->open(req.query_param("msg_signature"), req.query_param("timestamp"), req.query_param("nonce"),
                               doc.child("xml").child_value("Encrypt"));
      r.msg_signature_ok = plain.has_value();
      if (plain) r.plain = *plain;
    } else {
      r.plain = req.body;
    }
    int n = 0;
    ReceiverScript script;
    {
      std::lock_guard lock(mu_);
      received_.push_back(r);
      n = static_cast<int>(received_.size());
      script = script_;
    }
    if (n <= script.slow_attempts) {
      asio::steady_timer timer(co_await asio::this_coro::executor, 800ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    if (script.reply == "success") co_return HttpResponse::text(200, "success");
    if (script.reply == "empty") co_return HttpResponse::text(200, "");
    if (script.reply == "json") co_return HttpResponse::json(200, R"({"reply":"hi"})");
    if (script.reply == "http500") co_return HttpResponse::text(500, "oops");
    const std::string to = script.reply == "wrong_user" ? "o-someone-else" : openid;
    const std::string xml = fmt::format(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[gh_simtest]]></FromUserName>"
        "<CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[欢迎关注]]></Content></xml>",
        to, kStart);
    if (req.query_param("encrypt_type") == "aes") co_return HttpResponse::text(200, crypt->seal(xml, kStart, "12345"));
    co_return HttpResponse::text(200, xml);
  }

  std::string base() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }

  wechat::HttpReply get(const std::string& path) {
    wechat::HttpCall c;
    c.url = base() + path;
    auto r = transport_.send(c);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : wechat::HttpReply{};
  }
  wechat::HttpReply post(const std::string& path, const std::string& body, std::string content_type = {}) {
    wechat::HttpCall c;
    c.method = "POST";
    c.url = base() + path;
    c.body = body;
    if (!content_type.empty()) c.headers = {{"Content-Type", std::move(content_type)}};
    c.timeout = 10s;
    auto r = transport_.send(c);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : wechat::HttpReply{};
  }
  Json get_json(const std::string& path) { return Json::parse(get(path).body); }
  Json post_json(const std::string& path, const Json& body) { return Json::parse(post(path, body.dump()).body); }

  std::string token() {
    const Json j = get_json(fmt::format("/cgi-bin/token?grant_type=client_credential&appid={}&secret={}", kAppId, kSecret));
    return j.value("access_token", "");
  }
  Json create_qr(const std::string& tok, const Json& body) {
    return post_json("/cgi-bin/qrcode/create?access_token=" + tok, body);
  }
  std::string new_user() {
    const Json j = post_json(fmt::format("/sim/accounts/{}/users", kAppId), Json::object());
    return j["users"][0]["openid"];
  }
  Json scan(const std::string& openid, const Json& body) {
    return post_json(fmt::format("/sim/accounts/{}/users/{}/scan", kAppId, openid), body);
  }
  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  void script(ReceiverScript s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }

  FakeClock clock_{kStart};
  net::CurlTransport transport_;
  std::unique_ptr<Simulator> sim_;
  asio::io_context io_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::HttpServer> receiver_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<Received> received_;
  ReceiverScript script_;
};

std::string net_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

const std::regex kRid(R"(.* rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$)");

TEST_F(SimulatorHttpTest, ErrorsAreHttp200WithErrcodeAndRid) {
  add_account(PushMode::kPlain);
  auto check = [&](const wechat::HttpReply& r, int errcode) {
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "application/json; encoding=utf-8");
    const Json j = Json::parse(r.body);
    EXPECT_EQ(j["errcode"], errcode) << r.body;
    EXPECT_TRUE(std::regex_match(j["errmsg"].get<std::string>(), kRid)) << r.body;
  };
  check(get(fmt::format("/cgi-bin/token?grant_type=client_credential&appid={}&secret=wrong", kAppId)), 40125);
  check(get("/cgi-bin/token?grant_type=client_credential&appid=wxnobody&secret=x"), 40013);
  check(get(fmt::format("/cgi-bin/token?grant_type=password&appid={}&secret={}", kAppId, kSecret)), 40002);
  check(post("/cgi-bin/stable_token", ""), 44002);
  check(post("/cgi-bin/stable_token", "{not json"), 47001);
  check(get("/cgi-bin/stable_token"), 43002);
  check(post("/cgi-bin/token", ""), 43001);
  check(get("/cgi-bin/user/get"), 41001);
  check(get("/cgi-bin/user/get?access_token=garbage"), 40014);
  const std::string tok = token();
  check(post("/cgi-bin/user/get?access_token=" + tok, "{}"), 43001);
  check(get("/cgi-bin/qrcode/create?access_token=" + tok), 43002);
  check(post("/cgi-bin/qrcode/create?access_token=" + tok, ""), 44002);
  check(post("/cgi-bin/qrcode/create?access_token=" + tok, "]"), 47001);
  check(post("/cgi-bin/qrcode/create?access_token=" + tok, R"({"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":0}}})"),
        40053);
  // An IP whitelist without the caller: 40164, naming the address to add.
  EXPECT_EQ(post("/sim/accounts", R"({"appid":"wxwhite","secret":"s","ip_whitelist":["10.1.2.3"]})").status, 200u);
  const auto white = get("/cgi-bin/token?grant_type=client_credential&appid=wxwhite&secret=s");
  check(white, 40164);
  EXPECT_NE(white.body.find("invalid ip 127.0.0.1"), std::string::npos);
  // A test account's 200 classic tokens a day, then 45009.
  EXPECT_EQ(post("/sim/accounts", R"({"appid":"wxtestacct","secret":"s","test_account":true})").status, 200u);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(get_json("/cgi-bin/token?grant_type=client_credential&appid=wxtestacct&secret=s").count("access_token"), 1u);
  }
  check(get("/cgi-bin/token?grant_type=client_credential&appid=wxtestacct&secret=s"), 45009);
  // The previous token works for 5 minutes after a new one is issued, then 40001; expiry is 42001.
  const std::string tok2 = token();
  EXPECT_EQ(get_json("/cgi-bin/tags/get?access_token=" + tok).count("tags"), 1u);
  clock_.advance(301s);
  check(get("/cgi-bin/tags/get?access_token=" + tok), 40001);
  clock_.advance(7200s);
  check(get("/cgi-bin/tags/get?access_token=" + tok2), 42001);
}

TEST_F(SimulatorHttpTest, StableTokenOverHttp) {
  add_account(PushMode::kPlain);
  const std::string body = fmt::format(R"({{"grant_type":"client_credential","appid":"{}","secret":"{}"}})", kAppId, kSecret);
  const Json a = post_json("/cgi-bin/stable_token", Json::parse(body));
  const Json b = post_json("/cgi-bin/stable_token", Json::parse(body));
  EXPECT_EQ(a["access_token"], b["access_token"]);  // normal mode: the same token
  Json forced = Json::parse(body);
  forced["force_refresh"] = true;
  const Json c = post_json("/cgi-bin/stable_token", forced);
  EXPECT_NE(c["access_token"], a["access_token"]);
  EXPECT_EQ(get_json("/cgi-bin/tags/get?access_token=" + a["access_token"].get<std::string>())["errcode"], 40001);
}

TEST_F(SimulatorHttpTest, ShowqrcodeServesAJpegOfTheUrl) {
  add_account(PushMode::kPlain);
  const std::string tok = token();
  const Json qr = create_qr(tok, Json{{"expire_seconds", 600}, {"action_name", "QR_STR_SCENE"},
                                      {"action_info", {{"scene", {{"scene_str", "login-1"}}}}}});
  const std::string ticket = qr["ticket"];
  const std::string encoded = net_escape(ticket);
  const auto r = get("/cgi-bin/showqrcode?ticket=" + encoded);
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "image/jpg");
  EXPECT_EQ(r.header("Cache-control"), "max-age=604800");
  EXPECT_EQ(r.header("Accept-Ranges"), "bytes");
  EXPECT_FALSE(r.header("Expires").empty());
  EXPECT_FALSE(r.header("Date").empty());
  auto gray = qr::decode_image(r.body);
  ASSERT_TRUE(gray) << gray.error().message;
  EXPECT_EQ(gray->width, 430);
  auto texts = qr::scan(*gray);
  ASSERT_TRUE(texts);
  EXPECT_EQ(texts->front(), qr["url"]);

  // An independent decoder agrees: zbarimg from Debian's zbar-tools.
  const std::string file = ::testing::TempDir() + "/showqrcode.jpg";
  std::ofstream(file, std::ios::binary) << r.body;
  std::FILE* p = popen(("zbarimg --quiet --raw " + file + " 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {};
  const bool read = std::fgets(line, sizeof line, p) != nullptr;
  EXPECT_EQ(pclose(p), 0) << "zbarimg failed (is zbar-tools installed? scripts/bootstrap installs it)";
  ASSERT_TRUE(read);
  std::string decoded = line;
  while (!decoded.empty() && (decoded.back() == '\n' || decoded.back() == '\r')) decoded.pop_back();
  EXPECT_EQ(decoded, qr["url"]);

  const auto unknown = get("/cgi-bin/showqrcode?ticket=gQFAKE");
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(unknown.body.find("errcode"), std::string::npos);
  clock_.advance(601s);
  EXPECT_EQ(get("/cgi-bin/showqrcode?ticket=" + encoded).status, 404u);
}

TEST_F(SimulatorHttpTest, PlainPushIsSignedAndTheReplyShown) {
  add_account(PushMode::kPlain);
  const std::string tok = token();
  const Json qr = create_qr(tok, Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 17}}}}}});
  const std::string openid = new_user();
  const Json r = scan(openid, Json{{"ticket", qr["ticket"]}});
  EXPECT_EQ(r["event"], "subscribe");
  EXPECT_EQ(r["delivery"]["outcome"], "replied");
  EXPECT_EQ(r["delivery"]["user_sees"], "欢迎关注");
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_NE(got[0].query.find("openid=" + openid), std::string::npos);
  EXPECT_EQ(got[0].query.find("encrypt_type"), std::string::npos);
  EXPECT_NE(got[0].body.find("<EventKey><![CDATA[qrscene_17]]></EventKey>"), std::string::npos);

  // The follower scans again: SCAN.
  EXPECT_EQ(scan(openid, Json{{"url", qr["url"]}})["event"], "SCAN");
}

TEST_F(SimulatorHttpTest, CompatibleModeSendsPlaintextAndCiphertext) {
  add_account(PushMode::kCompatible);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 1}}}}}});
  const Json r = scan(new_user(), Json{{"ticket", qr["ticket"]}});
  EXPECT_EQ(r["delivery"]["outcome"], "replied");
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signature_ok);
  EXPECT_TRUE(got[0].msg_signature_ok);
  EXPECT_NE(got[0].body.find("<Event><![CDATA[subscribe]]></Event>"), std::string::npos);  // plaintext too
  EXPECT_NE(got[0].body.find("<Encrypt>"), std::string::npos);
  EXPECT_NE(got[0].plain.find("<Event><![CDATA[subscribe]]></Event>"), std::string::npos);
}

TEST_F(SimulatorHttpTest, SafeModeSendsOnlyCiphertextAndNeedsAnEncryptedReply) {
  add_account(PushMode::kSafe);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 2}}}}}});
  const Json r = scan(new_user(), Json{{"ticket", qr["ticket"]}});
  EXPECT_EQ(r["delivery"]["outcome"], "replied");
  EXPECT_EQ(r["delivery"]["user_sees"], "欢迎关注");
  const auto got = received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].msg_signature_ok);
  EXPECT_EQ(got[0].body.find("<Event>"), std::string::npos);  // nothing in the clear
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(got[0].body.c_str()));
  EXPECT_EQ(std::string(doc.child("xml").child_value("ToUserName")), "gh_simtest");
  EXPECT_NE(got[0].plain.find("<EventKey><![CDATA[qrscene_2]]></EventKey>"), std::string::npos);
}

TEST_F(SimulatorHttpTest, WhatTheUserSeesForEachKindOfAnswer) {
  add_account(PushMode::kSafe);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 3}}}}}});
  struct Case {
    const char* reply;
    const char* outcome;
    const char* sees;
    std::size_t attempts;
  };
  for (const Case& c : {Case{"success", "nothing", "", 1}, Case{"empty", "nothing", "", 1},
                        Case{"json", "bad_reply", "该公众号暂时无法提供服务，请稍后再试", 1},
                        Case{"wrong_user", "bad_reply", "该公众号暂时无法提供服务，请稍后再试", 1},
                        Case{"http500", "no_answer", "该公众号暂时无法提供服务，请稍后再试", 3}}) {
    script(ReceiverScript{c.reply, 0});
    const Json r = scan(new_user(), Json{{"ticket", qr["ticket"]}});
    EXPECT_EQ(r["delivery"]["outcome"], c.outcome) << c.reply;
    EXPECT_EQ(r["delivery"]["user_sees"], c.sees) << c.reply;
    EXPECT_EQ(r["delivery"]["attempts"].size(), c.attempts) << c.reply;
  }
}

TEST_F(SimulatorHttpTest, SlowAnswersAreRetriedWithTheSameBody) {
  add_account(PushMode::kPlain);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 4}}}}}});
  script(ReceiverScript{"text", 2});
  const Json r = scan(new_user(), Json{{"ticket", qr["ticket"]}});
  EXPECT_EQ(r["delivery"]["outcome"], "replied");
  EXPECT_EQ(r["delivery"]["attempts"].size(), 3u);
  const auto got = received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].body, got[1].body);  // same XML, same CreateTime
  EXPECT_EQ(got[1].body, got[2].body);
  EXPECT_EQ(got[0].query, got[2].query);  // retries repeat the signature by default
}

TEST_F(SimulatorHttpTest, ScanningAnImageDecodesIt) {
  add_account(PushMode::kPlain);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_STR_SCENE"}, {"action_info", {{"scene", {{"scene_str", "img"}}}}}});
  const auto jpeg = get("/cgi-bin/showqrcode?ticket=" + net_escape(qr["ticket"].get<std::string>())).body;
  const Json r = scan(new_user(), Json{{"image_base64", encode_base64(jpeg)}});
  EXPECT_EQ(r["event"], "subscribe");
  EXPECT_EQ(r["ticket"], qr["ticket"]);
  // An image without a code is refused, and nothing is pushed.
  const auto png = qr::encode_png(qr::Gray{50, 50, std::vector<std::uint8_t>(2500, 255)});
  const auto bad = post(fmt::format("/sim/accounts/{}/users/{}/scan", kAppId, new_user()),
                        Json{{"image_base64", encode_base64(*png)}}.dump());
  EXPECT_EQ(bad.status, 404u);
  EXPECT_EQ(received().size(), 1u);
}

TEST_F(SimulatorHttpTest, VerifyUrlAndControlErrors) {
  add_account(PushMode::kPlain);
  EXPECT_EQ(post(fmt::format("/sim/accounts/{}/verify-url", kAppId), "").status, 200u);
  EXPECT_EQ(post(fmt::format("/sim/accounts/{}/users", kAppId), "{oops").status, 400u);
  EXPECT_EQ(post("/sim/accounts/wxnobody/users", "{}").status, 400u);  // 40013 is invalid_argument
  const auto bad_account = post("/sim/accounts", R"({"appid":"","mode":"secret","extra":1})");
  EXPECT_EQ(bad_account.status, 400u);
  EXPECT_NE(bad_account.body.find("appid"), std::string::npos);
  EXPECT_NE(bad_account.body.find("mode"), std::string::npos);
  EXPECT_NE(bad_account.body.find("extra"), std::string::npos);
  EXPECT_EQ(post("/sim/clock", R"({"advance_seconds":5})").status, 409u);  // not a fake clock here
}

TEST_F(SimulatorHttpTest, LoadModeReportsWhatHappened) {
  add_account(PushMode::kSafe);
  const std::string tok = token();
  for (int i = 1; i <= 5; ++i) {
    create_qr(tok, Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", i}}}}}});
  }
  const Json report = post_json(fmt::format("/sim/accounts/{}/load", kAppId),
                                Json{{"users", 30}, {"actions", 200}, {"rate", 0}, {"threads", 4},
                                     {"follow_probability", 0.7}, {"unfollow_probability", 0.1}});
  EXPECT_EQ(report["actions"], 200);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["answered"], report["pushes_sent"]);
  EXPECT_GT(report["by_event"].value("subscribe", 0), 0);
  EXPECT_GT(report["by_event"].value("SCAN", 0), 0);
  EXPECT_EQ(received().size(), report["pushes_sent"].get<std::size_t>());
  const Json log = get_json(fmt::format("/sim/accounts/{}/pushes", kAppId));
  EXPECT_EQ(log["pushes"].size(), 200u);
}

// A template send beside the scans: one TEMPLATESENDJOBFINISH per push, to followers of before.
TEST_F(SimulatorHttpTest, LoadModeCanSendATemplateBesideTheScans) {
  add_account(PushMode::kPlain);
  script(ReceiverScript{"success", 0});
  create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 1}}}}}});
  const Json report = post_json(fmt::format("/sim/accounts/{}/load", kAppId),
                                Json{{"users", 10}, {"actions", 20}, {"rate", 0}, {"threads", 2},
                                     {"template_pushes", 60}, {"template_rate", 0}, {"template_threads", 3},
                                     {"template_followers", 25}});
  EXPECT_EQ(report["template_pushes"], 60);
  EXPECT_EQ(report["by_event"].value("TEMPLATESENDJOBFINISH", 0), 60);
  EXPECT_EQ(report["failed"], 0);
  EXPECT_EQ(report["markfailed"], 0);
  EXPECT_EQ(report["answered"], report["pushes_sent"]);
  std::size_t templates = 0;
  for (const auto& r : received()) templates += r.plain.find("TEMPLATESENDJOBFINISH") != std::string::npos ? 1 : 0;
  EXPECT_EQ(templates, 60U);
  EXPECT_EQ(post(fmt::format("/sim/accounts/{}/load", kAppId), R"({"template_threads":0})").status, 400u);
}

TEST_F(SimulatorHttpTest, EveryOtherRouteOverHttp) {
  add_account(PushMode::kPlain);
  const std::string tok = token();
  const std::string q = "?access_token=" + tok;
  const std::string openid = new_user();
  const std::string user_path = fmt::format("/sim/accounts/{}/users/{}", kAppId, openid);
  EXPECT_EQ(post_json(user_path + "/follow", Json{{"scene", "ADD_SCENE_PROFILE_CARD"}})["event"], "subscribe");
  EXPECT_EQ(post_json(user_path + "/click", Json{{"key", "K1"}})["event"], "CLICK");
  EXPECT_EQ(post_json(user_path + "/view", Json{{"url", "https://example.com/"}})["event"], "VIEW");
  EXPECT_EQ(post_json(user_path + "/location", Json::object())["event"], "LOCATION");
  EXPECT_EQ(post_json(user_path + "/text", Json{{"content", "你好"}})["event"], "text");
  const auto got = received();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_NE(got[1].body.find("<EventKey><![CDATA[K1]]></EventKey>"), std::string::npos);
  EXPECT_NE(got[2].body.find("<MenuId>"), std::string::npos);
  EXPECT_NE(got[3].body.find("<Latitude>23.137466</Latitude>"), std::string::npos);
  EXPECT_NE(got[4].body.find("<MsgId>"), std::string::npos);

  EXPECT_EQ(post_json("/cgi-bin/user/info/updateremark" + q, Json{{"openid", openid}, {"remark", "VIP"}})["errcode"], 0);
  const Json info = get_json("/cgi-bin/user/info" + q + "&openid=" + openid + "&lang=zh_CN");
  EXPECT_EQ(info["remark"], "VIP");
  EXPECT_EQ(info["subscribe_scene"], "ADD_SCENE_PROFILE_CARD");
  EXPECT_EQ(post_json("/cgi-bin/user/info/batchget" + q, Json{{"user_list", {{{"openid", openid}}}}})["user_info_list"].size(),
            1u);
  EXPECT_EQ(get_json("/cgi-bin/user/get" + q)["total"], 1);

  // The text opened 5 customer-service messages.
  const Json msg{{"touser", openid}, {"msgtype", "text"}, {"text", {{"content", "hello"}}}};
  EXPECT_EQ(post_json("/cgi-bin/message/custom/send" + q, msg)["errcode"], 0);
  EXPECT_EQ(get_json(user_path + "/messages")["messages"].size(), 1u);

  EXPECT_EQ(post_json("/cgi-bin/menu/create" + q,
                      Json{{"button", {{{"type", "click"}, {"name", "A"}, {"key", "K1"}}}}})["errcode"], 0);
  EXPECT_EQ(get_json("/cgi-bin/menu/get" + q)["menu"]["button"].size(), 1u);
  EXPECT_EQ(get_json("/cgi-bin/get_current_selfmenu_info" + q)["is_menu_open"], 1);
  EXPECT_EQ(get_json("/cgi-bin/menu/delete" + q)["errcode"], 0);

  const Json tag = post_json("/cgi-bin/tags/create" + q, Json{{"tag", {{"name", "t"}}}});
  const auto id = tag["tag"]["id"];
  EXPECT_EQ(post_json("/cgi-bin/tags/members/batchtagging" + q, Json{{"openid_list", {openid}}, {"tagid", id}})["errcode"], 0);
  EXPECT_EQ(post_json("/cgi-bin/tags/getidlist" + q, Json{{"openid", openid}})["tagid_list"][0], id);
  EXPECT_EQ(post_json("/cgi-bin/user/tag/get" + q, Json{{"tagid", id}})["count"], 1);
  EXPECT_EQ(post_json("/cgi-bin/tags/members/batchuntagging" + q, Json{{"openid_list", {openid}}, {"tagid", id}})["errcode"], 0);
  EXPECT_EQ(post_json("/cgi-bin/tags/update" + q, Json{{"tag", {{"id", id}, {"name", "u"}}}})["errcode"], 0);
  EXPECT_EQ(post_json("/cgi-bin/tags/delete" + q, Json{{"tag", {{"id", id}}}})["errcode"], 0);

  clock_.advance(std::chrono::hours(24));
  EXPECT_EQ(get_json("/cgi-bin/tags/get" + q)["errcode"], 42001);  // the token expired with the day
  const std::string tok2 = token();
  const std::string q2 = "?access_token=" + tok2;
  const std::string yesterday = beijing_date(kStart);
  const Json summary = post_json("/datacube/getusersummary" + q2, Json{{"begin_date", yesterday}, {"end_date", yesterday}});
  ASSERT_EQ(summary["list"].size(), 1u) << summary.dump();
  EXPECT_EQ(summary["list"][0]["user_source"], 17);
  EXPECT_EQ(summary["list"][0]["new_user"], 1);
  const Json cumulate = post_json("/datacube/getusercumulate" + q2, Json{{"begin_date", yesterday}, {"end_date", yesterday}});
  EXPECT_EQ(cumulate["list"][0]["cumulate_user"], 1);
  EXPECT_EQ(post_json("/cgi-bin/clear_quota" + q2, Json{{"appid", kAppId}})["errcode"], 0);
  EXPECT_EQ(post_json(user_path + "/unfollow", Json::object())["event"], "unsubscribe");
}

// media/upload's form over HTTP, media/get's file, a template send whose TEMPLATESENDJOBFINISH
// reaches the callback after the answer, and the control routes of templates and media.
TEST_F(SimulatorHttpTest, MediaAndTemplatesOverHttp) {
  add_account(PushMode::kPlain);
  script(ReceiverScript{"success", 0});
  const std::string q = "?access_token=" + token();
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(5000, '\0') + "\r\n--";
  auto form = [](const std::string& filename, const std::string& bytes) {
    return "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"media\"; filename=\"" + filename +
           "\"\r\nContent-Type: image/png\r\n\r\n" + bytes + "\r\n--BoUnDaRy--\r\n";
  };
  const std::string multipart = "multipart/form-data; boundary=BoUnDaRy";
  const auto up = post("/cgi-bin/media/upload" + q + "&type=image", form("poster.png", png), multipart);
  EXPECT_EQ(up.content_type, "application/json; encoding=utf-8");
  const Json uploaded = Json::parse(up.body);
  ASSERT_TRUE(uploaded.contains("media_id")) << up.body;
  EXPECT_EQ(uploaded["type"], "image");
  EXPECT_EQ(uploaded["created_at"], kStart);
  const std::string id = uploaded["media_id"];
  auto errcode = [](const wechat::HttpReply& r) { return Json::parse(r.body).value("errcode", 0); };
  EXPECT_EQ(errcode(post("/cgi-bin/media/upload" + q + "&type=image", "", multipart)), 41005);
  EXPECT_EQ(errcode(post("/cgi-bin/media/upload" + q + "&type=image", R"({"media":"x"})")), 41005);
  EXPECT_EQ(errcode(post("/cgi-bin/media/upload" + q + "&type=gif", form("poster.png", png), multipart)), 40004);
  EXPECT_EQ(errcode(get("/cgi-bin/media/upload" + q + "&type=image")), 43002);
  EXPECT_EQ(errcode(post("/cgi-bin/media/upload?type=image", form("poster.png", png), multipart)), 41001);
  // A file just over the image limit arrives whole and is refused by WeChat's rule, not the server.
  const auto big = post("/cgi-bin/media/upload" + q + "&type=image",
                        form("big.png", png + std::string(10 * 1024 * 1024, 'x')), multipart);
  EXPECT_EQ(big.status, 200u);
  EXPECT_EQ(errcode(big), 40006);

  const auto file = get("/cgi-bin/media/get" + q + "&media_id=" + id);
  EXPECT_EQ(file.status, 200u);
  EXPECT_EQ(file.content_type, "image/png");
  EXPECT_EQ(file.body, png);
  EXPECT_EQ(file.header("Content-disposition"), "attachment; filename=\"" + id + ".png\"");
  EXPECT_EQ(file.header("Cache-Control"), "no-cache, must-revalidate");
  const auto missing = get("/cgi-bin/media/get" + q + "&media_id=nope");
  EXPECT_EQ(missing.content_type, "application/json; encoding=utf-8");
  EXPECT_EQ(errcode(missing), 40007);
  EXPECT_TRUE(std::regex_match(Json::parse(missing.body)["errmsg"].get<std::string>(), kRid));
  const auto raw = get(fmt::format("/sim/accounts/{}/media/{}?raw=1", kAppId, id));
  EXPECT_EQ(raw.body, png);
  EXPECT_EQ(get(fmt::format("/sim/accounts/{}/media/nope", kAppId)).status, 404u);

  // Templates: added and listed through the control API, listed by WeChat's API too.
  const Json added = post_json(fmt::format("/sim/accounts/{}/templates", kAppId),
                               Json{{"title", "助力进度通知"}, {"content", "进度：{{keyword1.DATA}}"}});
  ASSERT_EQ(added["template_id"].get<std::string>().size(), 43u) << added.dump();
  EXPECT_EQ(post(fmt::format("/sim/accounts/{}/templates", kAppId), Json{{"title", 1}}.dump()).status, 400u);
  EXPECT_EQ(post(fmt::format("/sim/accounts/{}/templates", kAppId), added.dump()).status, 409u);
  EXPECT_EQ(get_json(fmt::format("/sim/accounts/{}/templates", kAppId))["templates"].size(), 1u);
  EXPECT_EQ(get_json("/cgi-bin/template/get_all_private_template" + q)["template_list"][0]["template_id"],
            added["template_id"]);

  const std::string openid = new_user();
  EXPECT_EQ(post_json(fmt::format("/sim/accounts/{}/users/{}/follow", kAppId, openid), Json::object())["event"],
            "subscribe");
  const Json sent = post_json("/cgi-bin/message/template/send" + q,
                              Json{{"touser", openid},
                                   {"template_id", added["template_id"]},
                                   {"data", {{"keyword1", {{"value", "3/5"}}}}}});
  ASSERT_EQ(sent["errcode"], 0) << sent.dump();
  const std::string msgid = std::to_string(sent["msgid"].get<std::int64_t>());
  // The report reaches the callback after the answer.
  bool reported = false;
  for (int i = 0; i < 500 && !reported; ++i) {
    for (const auto& r : received()) {
      reported = reported || r.plain.find("<MsgID>" + msgid + "</MsgID>") != std::string::npos;
    }
    if (!reported) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(reported);
  const Json messages = get_json(fmt::format("/sim/accounts/{}/users/{}/messages", kAppId, openid));
  ASSERT_EQ(messages["messages"].size(), 1u);
  EXPECT_EQ(messages.at("messages").at(0).at("message").at("template").at("content"), "进度：3/5");
}

TEST_F(SimulatorHttpTest, SavedStateResumesInANewSimulator) {
  add_account(PushMode::kPlain);
  const Json qr = create_qr(token(), Json{{"action_name", "QR_LIMIT_SCENE"}, {"action_info", {{"scene", {{"scene_id", 9}}}}}});
  const std::string openid = new_user();
  scan(openid, Json{{"ticket", qr["ticket"]}});
  const std::string file = ::testing::TempDir() + "/sim_state.json";
  EXPECT_EQ(post("/sim/save", Json{{"path", file}}.dump()).status, 200u);

  Simulator resumed(clock_, transport_);
  ASSERT_TRUE(resumed.load(file));
  auto u = resumed.platform().user(kAppId, openid);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->subscribed);
  EXPECT_TRUE(resumed.image(qr["ticket"].get<std::string>()));
  // The account's secret came back too: tokens can be issued again.
  EXPECT_TRUE(resumed.tokens().classic("client_credential", kAppId, kSecret, "127.0.0.1"));
  std::ofstream(file) << "{not json";
  EXPECT_FALSE(resumed.load(file));
}

}  // namespace
}  // namespace qrscene::sim
