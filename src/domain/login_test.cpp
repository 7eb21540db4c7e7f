#include "domain/login.h"

#include <gtest/gtest.h>

namespace qrscene::domain {
namespace {

constexpr std::int64_t kT = 1'700'000'000;

LoginSession session(LoginPurpose purpose = LoginPurpose::kLogin, bool confirm = false) {
  LoginSession s;
  s.id = "s1";
  s.appid = "wx1";
  s.purpose = purpose;
  s.user_id = purpose == LoginPurpose::kBind ? "user-7" : "";
  s.confirm_in_wechat = confirm;
  s.requester_ip = "203.0.113.9";
  s.requester_agent = "Chrome on Windows";
  s.scene = "qrl_abc";
  s.created_at = kT;
  s.expires_at = kT + 300;
  return s;
}

Event scan(std::string openid, std::int64_t at = kT + 10, EventKind kind = EventKind::kScan) {
  Event e;
  e.appid = "wx1";
  e.openid = std::move(openid);
  e.kind = kind;
  e.name = kind == EventKind::kScan ? "SCAN" : "subscribe";
  e.scene = "qrl_abc";
  e.create_time = at;
  return e;
}

Event text(std::string openid, std::string content, std::int64_t at = kT + 20) {
  Event e;
  e.appid = "wx1";
  e.openid = std::move(openid);
  e.name = "text";
  e.content = std::move(content);
  e.create_time = at;
  return e;
}

LoginContext held(LoginSession s, std::string bound = "") {
  return LoginContext{std::move(s), true, std::move(bound)};
}

TEST(LoginPlan, AScanConfirmsALoginAndRepliesInWeChat) {
  const LoginTexts texts;
  for (auto kind : {EventKind::kScan, EventKind::kSubscribe}) {
    const auto p = plan_login(scan("o1", kT + 10, kind), held(session(), "user-3"), texts);
    EXPECT_TRUE(p.handled && p.change && p.release_code);
    EXPECT_EQ(p.state, LoginState::kConfirmed);
    EXPECT_EQ(p.openid, "o1");
    EXPECT_EQ(p.user_id, "user-3");  // the website user this WeChat user bound earlier
    EXPECT_FALSE(p.write_binding);
    EXPECT_EQ(p.reply.text, texts.logged_in);
  }
}

TEST(LoginPlan, BindWritesTheBindingAndRefusesAnOpenidBoundElsewhere) {
  const LoginTexts texts;
  auto p = plan_login(scan("o1"), held(session(LoginPurpose::kBind)), texts);
  EXPECT_EQ(p.state, LoginState::kConfirmed);
  EXPECT_TRUE(p.write_binding);
  EXPECT_EQ(p.user_id, "user-7");
  EXPECT_EQ(p.reply.text, texts.bound);

  p = plan_login(scan("o1"), held(session(LoginPurpose::kBind), "user-7"), texts);  // the same user again
  EXPECT_EQ(p.state, LoginState::kConfirmed);

  p = plan_login(scan("o1"), held(session(LoginPurpose::kBind), "user-8"), texts);
  EXPECT_EQ(p.state, LoginState::kDenied);
  EXPECT_EQ(p.reason, "already_bound");
  EXPECT_FALSE(p.write_binding);
  EXPECT_EQ(p.reply.text, texts.already_bound);
}

TEST(LoginPlan, OldCodesAndDecidedSessionsChangeNothing) {
  const LoginTexts texts;
  // The code is held by nobody now.
  auto p = plan_login(scan("o1"), LoginContext{std::nullopt, true, ""}, texts);
  EXPECT_TRUE(p.handled);
  EXPECT_FALSE(p.change);
  EXPECT_EQ(p.reply.text, texts.expired);
  // Past the session's expiry (judged at the scan's CreateTime).
  p = plan_login(scan("o1", kT + 300), held(session()), texts);
  EXPECT_FALSE(p.change);
  EXPECT_EQ(p.reply.text, texts.expired);
  EXPECT_TRUE(plan_login(scan("o1", kT + 299), held(session()), texts).change);
  // Already confirmed: a second scan does not log anybody in again.
  auto done = session();
  done.state = LoginState::kConfirmed;
  p = plan_login(scan("o2"), held(done), texts);
  EXPECT_FALSE(p.change);
  // Not a login scene at all: nothing to do with logins.
  p = plan_login(scan("o1"), LoginContext{}, texts);
  EXPECT_FALSE(p.handled);
}

TEST(LoginPlan, ConfirmInWeChatAsksNamingTheBrowserAndWaitsForTheAnswer) {
  const LoginTexts texts;
  const auto s = session(LoginPurpose::kLogin, true);
  auto p = plan_login(scan("o1"), held(s), texts);
  EXPECT_EQ(p.state, LoginState::kScanned);
  EXPECT_FALSE(p.release_code);
  EXPECT_NE(p.reply.text.find("Chrome on Windows"), std::string::npos);
  EXPECT_NE(p.reply.text.find("203.0.113.9"), std::string::npos);

  auto scanned = s;
  scanned.state = LoginState::kScanned;
  scanned.openid = "o1";
  // Somebody else scanning the same code is not asked.
  EXPECT_EQ(plan_login(scan("o2"), held(scanned), texts).reply.text, texts.expired);
  EXPECT_FALSE(plan_login(scan("o2"), held(scanned), texts).change);

  p = plan_login(text("o1", " 1 "), held(scanned), texts);
  EXPECT_EQ(p.state, LoginState::kConfirmed);
  EXPECT_EQ(p.reply.text, texts.logged_in);
  p = plan_login(text("o1", "拒绝"), held(scanned), texts);
  EXPECT_EQ(p.state, LoginState::kDenied);
  EXPECT_EQ(p.reason, "denied_in_wechat");
  p = plan_login(text("o1", "what?"), held(scanned), texts);
  EXPECT_TRUE(p.handled);
  EXPECT_FALSE(p.change);
  EXPECT_EQ(p.reply.text, texts.answer_hint);
  // Another follower's text, or an answer after expiry, is an ordinary message.
  EXPECT_FALSE(plan_login(text("o2", "1"), held(scanned), texts).handled);
  EXPECT_FALSE(plan_login(text("o1", "1", kT + 301), held(scanned), texts).handled);
  EXPECT_FALSE(plan_login(text("o1", "1"), LoginContext{}, texts).handled);
}

TEST(LoginAnswer, ReadsYesAndNoInChineseAndEnglish) {
  EXPECT_EQ(parse_login_answer("确认"), LoginAnswer::kYes);
  EXPECT_EQ(parse_login_answer("yes\n"), LoginAnswer::kYes);
  EXPECT_EQ(parse_login_answer("0"), LoginAnswer::kNo);
  EXPECT_EQ(parse_login_answer("取消"), LoginAnswer::kNo);
  EXPECT_EQ(parse_login_answer("10"), LoginAnswer::kUnclear);
  EXPECT_EQ(parse_login_answer(""), LoginAnswer::kUnclear);
}

TEST(LoginSessionState, ExpiresOnlyWhileUndecided) {
  auto s = session();
  EXPECT_EQ(effective_state(s, kT + 299), LoginState::kPending);
  EXPECT_EQ(effective_state(s, kT + 300), LoginState::kExpired);
  s.state = LoginState::kConfirmed;
  EXPECT_EQ(effective_state(s, kT + 900), LoginState::kConfirmed);
  EXPECT_EQ(login_state_from("denied"), LoginState::kDenied);
  EXPECT_EQ(login_purpose_from("bind"), LoginPurpose::kBind);
  EXPECT_FALSE(login_purpose_from("Bind"));
}

TEST(DescribeBrowser, NamesTheBrowserAndSystem) {
  EXPECT_EQ(describe_browser("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "Chrome/120.0 Safari/537.36 Edg/120.0"),
            "Edge on Windows");
  EXPECT_EQ(describe_browser("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                             "HeadlessChrome/120.0 Safari/537.36"),
            "Chrome on Linux");
  EXPECT_EQ(describe_browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                             "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iOS");
  EXPECT_EQ(describe_browser("curl/8.0"), "a browser");
}

}  // namespace
}  // namespace qrscene::domain
