// Scan to log in and bind (docs/login.md) against the simulator over HTTP, with the service
// assembled as `qrscene serve` assembles it: login, bind, expiry, a second use, a wrong or missing
// secret, a replayed event, an openid bound elsewhere, confirmation in WeChat, the per-address
// limit, and a confirmation that arrives at one instance reaching a browser waiting on another.
#include <future>

#include "service_sim_fixture.h"
#include "support/scratch_postgres.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class LoginSimTest : public ServiceSimTest {
 protected:
  struct Session {
    std::string id, secret, cookie;
    Json body;
  };

  static Result<wechat::HttpReply> send(const std::string& base, std::string method, const std::string& path,
                                        std::string body, std::vector<std::pair<std::string, std::string>> headers,
                                        net::CurlTransport& transport, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    wechat::HttpCall call;
    call.method = std::move(method);
    call.url = base + path;
    call.body = std::move(body);
    call.headers = std::move(headers);
    call.timeout = timeout;
    return transport.send(call);
  }

  // Starts a session; with a token as the website's backend, without as a browser.
  Session start_session(Json request, const std::string& token = "", unsigned expect = 201,
                        const std::string& base = "") {
    if (!request.contains("appid")) request["appid"] = kPlainApp;  // two accounts are configured
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"},
                                                       {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    auto r = send(base.empty() ? runtime_->base_url() : base, "POST", "/api/v1/login-sessions", request.dump(), h,
                  transport_);
    EXPECT_TRUE(r) << r.error().to_string();
    Session s;
    if (!r) return s;
    EXPECT_EQ(r->status, expect) << r->body;
    s.body = Json::parse(r->body, nullptr, false);
    if (r->status != 201) return s;
    s.id = s.body["id"];
    s.secret = s.body.value("secret", "");
    const std::string cookie(r->header("Set-Cookie"));
    s.cookie = cookie.substr(0, cookie.find(';'));
    return s;
  }

  // A browser call presenting the session's secret the way the test says.
  Result<wechat::HttpReply> browser(const Session& s, const std::string& what, const std::string& secret_header,
                                    const std::string& base = "") {
    std::vector<std::pair<std::string, std::string>> h;
    if (!secret_header.empty()) h.emplace_back(secret_header, secret_header == "Cookie" ? s.cookie : s.secret);
    return send(base.empty() ? runtime_->base_url() : base, "GET", "/api/v1/login-sessions/" + s.id + what, "", h,
                transport_, std::chrono::seconds(40));
  }

  // What a phone reads from the session's QR image.
  std::string code_url(const Session& s, const std::string& how = "X-Login-Secret") {
    auto png = browser(s, "/qr.png", how);
    EXPECT_TRUE(png && png->status == 200) << (png ? png->body : png.error().to_string());
    if (!png || png->status != 200) return "";
    EXPECT_EQ(png->content_type, "image/png");
    auto gray = qr::decode_image(png->body);
    EXPECT_TRUE(gray);
    auto texts = qr::scan(*gray);
    EXPECT_TRUE(texts);
    return texts ? texts->front() : "";
  }

  Json status(const Session& s, unsigned expect = 200, const std::string& query = "") {
    auto r = browser(s, "/status" + query, "X-Login-Secret");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, expect) << r->body;
    return Json::parse(r->body, nullptr, false);
  }

  sim::PushRecord scan(const std::string& openid, const std::string& url, bool follow = true) {
    return act(sim_->platform().scan(kPlainApp, openid, url, follow));
  }
  std::int64_t login_channel() {
    const auto all = runtime_->channels().list(kPlainApp);
    for (const auto& c : *all) {
      if (c.name == "login") return c.id;
    }
    return 0;
  }
};

TEST_F(LoginSimTest, ABrowserLogsInOnceAndTheBackendLearnsWhoItWas) {
  start(config());
  const auto s = start_session({{"purpose", "login"}});
  // The secret is an HttpOnly cookie scoped to the session; the answer does not carry it.
  EXPECT_FALSE(s.body.contains("secret"));
  EXPECT_EQ(s.body["expires_in"], 300);
  EXPECT_EQ(s.cookie.rfind("qrscene_login=", 0), 0U) << s.cookie;
  const std::string url = code_url(s, "Cookie");
  ASSERT_THAT(url, HasSubstr("weixin.qq.com/q/"));
  // The page may load its image again: the same code, and WeChat is not asked twice.
  const auto tickets = sim_->platform().tickets(kPlainApp).size();
  EXPECT_EQ(code_url(s, "Cookie"), url);
  EXPECT_EQ(sim_->platform().tickets(kPlainApp).size(), tickets);
  auto pending = browser(s, "/status", "Cookie");
  EXPECT_EQ(Json::parse(pending->body)["state"], "pending");

  const std::string u = user();
  const auto r = scan(u, url);
  EXPECT_EQ(r.action.event, "subscribe");
  EXPECT_EQ(r.delivery.user_sees, "登录成功");
  auto cookie_status = browser(s, "/status", "Cookie");
  ASSERT_TRUE(cookie_status);
  ASSERT_EQ(cookie_status->status, 200U) << cookie_status->body;
  const Json result = Json::parse(cookie_status->body);
  EXPECT_EQ(result["state"], "confirmed");
  EXPECT_EQ(result["openid"], u);
  const std::string code = result["exchange_code"];
  EXPECT_EQ(code.size(), 32U);

  // Delivered once: the session is consumed.
  auto again = browser(s, "/status", "Cookie");
  EXPECT_EQ(again->status, 410U);
  EXPECT_EQ(Json::parse(again->body)["error"]["code"], "failed_precondition");
  EXPECT_EQ(browser(s, "/events", "Cookie")->status, 410U);
  EXPECT_EQ(browser(s, "/qr.png", "Cookie")->status, 410U);

  // The website's backend trades the exchange code for the follower, once, with the admin token.
  EXPECT_EQ(api("POST", "/api/v1/login-sessions/exchange", Json{{"code", code}}.dump(), "")->status, 401U);
  const auto who = api_json("POST", "/api/v1/login-sessions/exchange", Json{{"code", code}}.dump());
  EXPECT_EQ(who["openid"], u);
  EXPECT_EQ(who["purpose"], "login");
  api_json("POST", "/api/v1/login-sessions/exchange", Json{{"code", code}}.dump(), 404);

  // The login page is a channel: the follow counts there.
  const auto login = login_channel();
  ASSERT_NE(login, 0);
  EXPECT_EQ(totals(login).new_follows, 1);
  EXPECT_EQ(totals(login).scans, 1);
}

TEST_F(LoginSimTest, BindTiesAFollowerToOneWebsiteUserAndRefusesAnotherBinding) {
  start(config());
  // Binding names a website user: only the backend (admin token) may start it.
  const auto refused = start_session({{"purpose", "bind"}, {"user_id", "u-1"}}, "", 401);
  EXPECT_THAT(refused.body.dump(), HasSubstr("admin token"));
  start_session({{"purpose", "bind"}}, kAdminToken, 400);  // no user_id

  const auto bind = start_session({{"purpose", "bind"}, {"user_id", "u-1"}}, kAdminToken);
  ASSERT_EQ(bind.secret.size(), 32U);  // handed to the backend, which passes it to its page
  const std::string u = user();
  EXPECT_EQ(scan(u, code_url(bind)).delivery.user_sees, "绑定成功");
  const auto bound = status(bind);
  EXPECT_EQ(bound["state"], "confirmed");
  EXPECT_EQ(bound["user_id"], "u-1");
  const auto list = api_json("GET", "/api/v1/login-bindings?appid=" + std::string(kPlainApp) + "&user_id=u-1");
  ASSERT_EQ(list["bindings"].size(), 1U);
  EXPECT_EQ(list["bindings"][0]["openid"], u);

  // The same WeChat user may not be bound to a second website user.
  clock_.advance(std::chrono::seconds(61));  // the code rests, then serves the next session
  const auto other = start_session({{"purpose", "bind"}, {"user_id", "u-2"}}, kAdminToken);
  EXPECT_EQ(scan(u, code_url(other)).delivery.user_sees, "该微信已绑定其他帐号，不能重复绑定");
  const auto denied = status(other);
  EXPECT_EQ(denied["state"], "denied");
  EXPECT_EQ(denied["reason"], "already_bound");
  EXPECT_FALSE(denied.contains("openid"));
  EXPECT_EQ(api_json("GET", "/api/v1/login-bindings?appid=" + std::string(kPlainApp))["bindings"].size(), 1U);

  // A later login by that follower names the bound user.
  const auto login = start_session({{"purpose", "login"}});
  EXPECT_EQ(scan(u, code_url(login, "Cookie")).delivery.user_sees, "登录成功");
  auto result = browser(login, "/status", "Cookie");
  EXPECT_EQ(Json::parse(result->body)["user_id"], "u-1");

  // Unbinding frees the follower.
  api_json("DELETE", "/api/v1/login-bindings/u-1?appid=" + std::string(kPlainApp));
  api_json("DELETE", "/api/v1/login-bindings/u-1?appid=" + std::string(kPlainApp), "", 404);
}

TEST_F(LoginSimTest, ASessionExpiresAndItsCodeThenLogsNobodyIn) {
  start(config());
  const auto s = start_session({{"purpose", "login"}, {"expires_in", 30}, {"secret_in_body", true}});
  ASSERT_FALSE(s.secret.empty());
  const std::string url = code_url(s);
  start_session({{"purpose", "login"}, {"expires_in", 5}}, "", 400);
  clock_.advance(std::chrono::seconds(31));
  EXPECT_EQ(browser(s, "/qr.png", "X-Login-Secret")->status, 410U);
  const std::string u = user();
  EXPECT_EQ(scan(u, url).delivery.user_sees, "二维码已过期，请刷新网页后重新扫码");
  const auto r = status(s);
  EXPECT_EQ(r["state"], "expired");
  EXPECT_FALSE(r.contains("openid"));
  status(s, 410);  // the expiry too is delivered once
}

TEST_F(LoginSimTest, NothingIsReadableWithoutTheBrowsersSecret) {
  start(config());
  const auto s = start_session({{"purpose", "login"}, {"secret_in_body", true}});
  auto none = browser(s, "/status", "");
  EXPECT_EQ(none->status, 401U);
  Session wrong = s;
  wrong.secret = std::string(32, 'a');
  EXPECT_EQ(browser(wrong, "/status", "X-Login-Secret")->status, 401U);
  EXPECT_EQ(browser(wrong, "/qr.png", "X-Login-Secret")->status, 401U);
  EXPECT_EQ(browser(wrong, "/events", "X-Login-Secret")->status, 401U);
  Session unknown = s;
  unknown.id = std::string(32, 'f');
  auto missing = browser(unknown, "/status", "X-Login-Secret");
  EXPECT_EQ(missing->status, 401U);
  EXPECT_EQ(Json::parse(missing->body)["error"]["message"], Json::parse(none->body)["error"]["message"]);
  // The secret as a query parameter (for EventSource across origins) works too.
  EXPECT_EQ(send(runtime_->base_url(), "GET", "/api/v1/login-sessions/" + s.id + "/status?secret=" + s.secret, "", {},
                 transport_)
                ->status,
            200U);
  // Starting a session wants JSON (so another site's form cannot start one).
  EXPECT_EQ(send(runtime_->base_url(), "POST", "/api/v1/login-sessions", "purpose=login",
                 {{"Content-Type", "application/x-www-form-urlencoded"}}, transport_)
                ->status,
            400U);
}

TEST_F(LoginSimTest, AReplayedScanChangesNothingAndAnotherScannerIsTurnedAway) {
  start(config());
  const auto s = start_session({{"purpose", "login"}, {"secret_in_body", true}});
  const std::string url = code_url(s);
  const auto session = *runtime_->store().login_session(s.id);
  ASSERT_THAT(session.scene, ::testing::StartsWith("qrl_"));
  // A SCAN push as WeChat sends it, and the same push again (WeChat's retry, or a replay).
  const std::string follower = user();
  (void)act(sim_->platform().follow(kPlainApp, follower, ""));
  const std::int64_t at = clock_.unix_seconds();
  const std::string xml = fmt::format(
      "<xml><ToUserName><![CDATA[gh_plain000001]]></ToUserName><FromUserName><![CDATA[{}]]></FromUserName>"
      "<CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"
      "<EventKey><![CDATA[{}]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>",
      follower, at, session.scene);
  auto first = post(std::string("/wechat/") + kPlainApp, signed_query(at), xml);
  ASSERT_TRUE(first && first->status == 200U);
  EXPECT_THAT(first->body, HasSubstr("登录成功"));
  const auto confirmed = *runtime_->store().login_session(s.id);
  auto again = post(std::string("/wechat/") + kPlainApp, signed_query(at, "n2"), xml);
  ASSERT_TRUE(again && again->status == 200U);
  EXPECT_THAT(again->body, HasSubstr("登录成功"));  // the first answer, and nothing else
  EXPECT_EQ(runtime_->store().login_session(s.id)->version, confirmed.version);
  // Somebody else scanning the same code a moment later logs in nobody.
  const std::string other = user();
  clock_.advance(std::chrono::seconds(2));
  const auto r = scan(other, url);
  EXPECT_EQ(r.delivery.user_sees, "二维码已过期，请刷新网页后重新扫码");
  const auto result = status(s);
  EXPECT_EQ(result["state"], "confirmed");
  EXPECT_EQ(result["openid"], follower);
}

TEST_F(LoginSimTest, ConfirmInWeChatAsksAndTheEventStreamFollows) {
  start(config());
  const auto s = start_session({{"purpose", "login"},
                                {"confirm_in_wechat", true},
                                {"client_ip", "203.0.113.7"},
                                {"user_agent", "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"}},
                               kAdminToken);
  const std::string url = code_url(s);
  // The browser listens (Server-Sent Events) while the follower scans and answers.
  auto listening = std::async(std::launch::async, [&] { return browser(s, "/events", "X-Login-Secret"); });
  const auto wait_for_listener = [&] {
    for (int i = 0; i < 200 && runtime_->logins().waiting() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  wait_for_listener();
  const std::string u = user();
  const auto asked = scan(u, url);
  EXPECT_THAT(asked.delivery.user_sees, HasSubstr("Chrome on Windows"));
  EXPECT_THAT(asked.delivery.user_sees, HasSubstr("203.0.113.7"));
  EXPECT_EQ(act(sim_->platform().text(kPlainApp, u, "什么")).delivery.user_sees, "请回复 1 确认登录，或回复 0 拒绝");
  EXPECT_EQ(act(sim_->platform().text(kPlainApp, u, "1")).delivery.user_sees, "登录成功");
  auto stream = listening.get();
  ASSERT_TRUE(stream) << stream.error().to_string();
  EXPECT_EQ(stream->status, 200U);
  EXPECT_EQ(stream->content_type, "text/event-stream");
  const std::string& events = stream->body;
  const auto pending = events.find("\"state\":\"pending\"");
  const auto scanned = events.find("\"state\":\"scanned\"");
  const auto confirmed = events.find("event: result");
  ASSERT_NE(pending, std::string::npos) << events;
  ASSERT_NE(scanned, std::string::npos) << events;
  ASSERT_NE(confirmed, std::string::npos) << events;
  EXPECT_LT(pending, scanned);
  EXPECT_LT(scanned, confirmed);
  // The scan woke the listener on this instance, not the poll. (The answer may land before the
  // listener waits again, and then it reads the new state without a wakeup: CI saw exactly that.)
  EXPECT_GE(runtime_->logins().wakeups().local, 1);
  EXPECT_THAT(events.substr(confirmed), HasSubstr("\"openid\":\"" + u + "\""));

  // Denied in WeChat.
  clock_.advance(std::chrono::seconds(61));
  const auto d = start_session({{"purpose", "login"}, {"confirm_in_wechat", true}}, kAdminToken);
  scan(u, code_url(d));
  EXPECT_EQ(act(sim_->platform().text(kPlainApp, u, "0")).delivery.user_sees, "已拒绝本次登录");
  const auto denied = status(d);
  EXPECT_EQ(denied["state"], "denied");
  EXPECT_EQ(denied["reason"], "denied_in_wechat");
  // Later texts are ordinary messages again.
  EXPECT_EQ(act(sim_->platform().text(kPlainApp, u, "1")).delivery.user_sees, "");
}

TEST_F(LoginSimTest, NewSessionsAreLimitedPerAddress) {
  start(config());
  for (int i = 0; i < 10; ++i) start_session({{"purpose", "login"}});
  const auto busy = start_session({{"purpose", "login"}}, "", 429);
  EXPECT_THAT(busy.body.dump(), HasSubstr("too many"));
  start_session({{"purpose", "login"}}, kAdminToken);  // the backend is not limited
}

// X-Real-IP from a loopback peer was believed: one client sent 60 sessions through a 10-per-minute
// limit, and the header's text reached the follower's confirmation prompt.
TEST_F(LoginSimTest, TheClientAddressIsNotWhateverTheClientSays) {
  start(config());  // no trusted proxies: the TCP peer is the client
  auto begin = [&](std::vector<std::pair<std::string, std::string>> extra, const Json& body) {
    std::vector<std::pair<std::string, std::string>> h{{"Content-Type", "application/json"}};
    for (auto& e : extra) h.push_back(std::move(e));
    return send(runtime_->base_url(), "POST", "/api/v1/login-sessions", body.dump(), h, transport_);
  };
  const Json login{{"purpose", "login"}, {"appid", kPlainApp}};
  for (int i = 0; i < 10; ++i) {
    auto r = begin({{"X-Real-IP", fmt::format("198.51.100.{}", i)}, {"X-Forwarded-For", fmt::format("203.0.113.{}", i)}},
                   login);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201U) << r->body;
  }
  auto eleventh = begin({{"X-Real-IP", "198.51.100.99"}, {"X-Forwarded-For", "203.0.113.99"}}, login);
  ASSERT_TRUE(eleventh);
  EXPECT_EQ(eleventh->status, 429U) << eleventh->body;
  // A backend naming the browser must name an address.
  Json named{{"purpose", "login"}, {"appid", kPlainApp}, {"client_ip", "请在微信中确认 evil.example"}};
  auto bad = begin({{"Authorization", std::string("Bearer ") + kAdminToken}}, named);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400U);
  EXPECT_THAT(bad->body, HasSubstr("client_ip"));
  named["client_ip"] = "2001:DB8::7";
  start_session(named, kAdminToken);
  // A User-Agent that is not UTF-8 is refused by name rather than stored.
  auto agent = begin({{"Authorization", std::string("Bearer ") + kAdminToken}, {"User-Agent", "Mozilla\xff\xfe"}},
                     login);
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->status, 400U);
  EXPECT_THAT(agent->body, HasSubstr("User-Agent"));
}

// Behind a trusted proxy each client is limited on its own, whatever the others do.
TEST_F(LoginSimTest, BehindATrustedProxyEachClientHasItsOwnLimit) {
  auto c = config();
  c.server.trusted_proxies = "127.0.0.1";
  start(c);
  const Json login{{"purpose", "login"}, {"appid", kPlainApp}};
  auto from = [&](const std::string& client) {
    return send(runtime_->base_url(), "POST", "/api/v1/login-sessions", login.dump(),
                {{"Content-Type", "application/json"}, {"X-Forwarded-For", "10.9.9.9, " + client}}, transport_);
  };
  for (int i = 0; i < 10; ++i) ASSERT_EQ(from("198.51.100.1")->status, 201U);
  EXPECT_EQ(from("198.51.100.1")->status, 429U);
  EXPECT_EQ(from("198.51.100.2")->status, 201U);
}

// Two instances on one store — PostgreSQL, as several instances are deployed (a SQLite file
// serves one process): the browser waits on B, WeChat pushes the scan to A.
TEST_F(LoginSimTest, AConfirmationAtOneInstanceReachesABrowserWaitingOnAnother) {
  testing::ScratchPostgres database("qrscene_login");
  ASSERT_TRUE(database.ok());
  auto shared = config();
  shared.store.backend = config::StoreBackend::kPostgres;
  shared.store.url = Secret(database.url());
  start(shared);
  auto b = app::ServiceRuntime::start(shared, clock_, transport_, /*background=*/false);
  ASSERT_TRUE(b) << b.error().to_string();
  const std::string base_b = (*b)->base_url();
  ASSERT_NE(base_b, runtime_->base_url());
  const auto s = start_session({{"purpose", "login"}, {"secret_in_body", true}}, "", 201, base_b);
  auto png = browser(s, "/qr.png", "X-Login-Secret", base_b);
  ASSERT_TRUE(png && png->status == 200U);
  const std::string url = qr::scan(*qr::decode_image(png->body))->front();
  auto listening = std::async(std::launch::async, [&] { return browser(s, "/events", "X-Login-Secret", base_b); });
  for (int i = 0; i < 200 && (*b)->logins().waiting() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::string u = user();
  EXPECT_EQ(scan(u, url).delivery.user_sees, "登录成功");  // the simulator pushes to instance A
  auto stream = listening.get();
  ASSERT_TRUE(stream) << stream.error().to_string();
  EXPECT_THAT(stream->body, HasSubstr("event: result"));
  EXPECT_THAT(stream->body, HasSubstr("\"openid\":\"" + u + "\""));
  // B learnt of the change from the store, not from its own callback endpoint (A took the push).
  EXPECT_GE((*b)->logins().wakeups().poll, 1);
  EXPECT_EQ((*b)->logins().wakeups().local, 0);
  EXPECT_THAT((*b)->metrics_text(), HasSubstr("qrscene_login_wakeups_total{source=\"poll\"}"));
  (*b)->stop();
  runtime_.reset();  // both instances gone before their database is
}

}  // namespace
}  // namespace qrscene
