#include "domain/login.h"

#include <array>
#include <utility>

#include "base/strings.h"

namespace qrscene::domain {

namespace {

constexpr std::array kPurposeNames{std::pair{LoginPurpose::kLogin, std::string_view("login")},
                                   std::pair{LoginPurpose::kBind, std::string_view("bind")}};
constexpr std::array kStateNames{std::pair{LoginState::kPending, std::string_view("pending")},
                                 std::pair{LoginState::kScanned, std::string_view("scanned")},
                                 std::pair{LoginState::kConfirmed, std::string_view("confirmed")},
                                 std::pair{LoginState::kDenied, std::string_view("denied")},
                                 std::pair{LoginState::kExpired, std::string_view("expired")}};

}  // namespace

std::string_view to_string(LoginPurpose purpose) noexcept { return name_of(kPurposeNames, purpose); }
std::string_view to_string(LoginState state) noexcept { return name_of(kStateNames, state); }
std::optional<LoginPurpose> login_purpose_from(std::string_view text) noexcept { return value_of(kPurposeNames, text); }
std::optional<LoginState> login_state_from(std::string_view text) noexcept { return value_of(kStateNames, text); }

LoginState effective_state(const LoginSession& session, std::int64_t now) noexcept {
  if (!is_final(session.state) && now >= session.expires_at) return LoginState::kExpired;
  return session.state;
}

LoginAnswer parse_login_answer(std::string_view text) noexcept {
  const std::string_view t = trim(text);
  for (std::string_view yes : {"1", "y", "Y", "yes", "Yes", "YES", "确认", "确定", "是", "好", "同意"}) {
    if (t == yes) return LoginAnswer::kYes;
  }
  for (std::string_view no : {"0", "n", "N", "no", "No", "NO", "拒绝", "取消", "否", "不是我", "不"}) {
    if (t == no) return LoginAnswer::kNo;
  }
  return LoginAnswer::kUnclear;
}

std::string describe_browser(std::string_view ua) {
  auto has = [ua](std::string_view s) { return ua.find(s) != std::string_view::npos; };
  // Order matters: Edge and Opera say Chrome, Chrome says Safari, WeChat's browser says both.
  std::string_view browser = "a browser";
  if (has("MicroMessenger")) browser = "WeChat";
  else if (has("Edg/")) browser = "Edge";
  else if (has("OPR/")) browser = "Opera";
  else if (has("Firefox/")) browser = "Firefox";
  else if (has("Chrome/") || has("Chromium/")) browser = "Chrome";
  else if (has("Safari/")) browser = "Safari";
  std::string_view os;
  if (has("Windows")) os = "Windows";
  else if (has("Android")) os = "Android";
  else if (has("iPhone") || has("iPad")) os = "iOS";
  else if (has("Mac OS X") || has("Macintosh")) os = "macOS";
  else if (has("Linux")) os = "Linux";
  std::string out(browser);
  if (!os.empty()) {
    out += " on ";
    out += os;
  }
  return out;
}

namespace {

ReplyChoice text_reply(std::string text) {
  if (text.empty()) return {};
  ReplyChoice r;
  r.kind = ReplyChoice::Kind::kText;
  r.text = std::move(text);
  return r;
}

std::string render_prompt(std::string_view prompt, const LoginSession& s) {
  return fill_placeholders(prompt, {{"browser", s.requester_agent}, {"ip", s.requester_ip}});
}

// The session is decided: confirmed (with the binding for bind) or denied.
LoginPlan decide(const Event& event, const LoginSession& s, const LoginContext& context, const LoginTexts& texts,
                 bool yes, std::string reason) {
  LoginPlan p;
  p.handled = true;
  p.change = true;
  p.release_code = true;
  p.openid = event.openid;
  if (s.purpose == LoginPurpose::kBind && !context.bound_user.empty() && context.bound_user != s.user_id) {
    p.state = LoginState::kDenied;
    p.reason = "already_bound";
    p.reply = text_reply(texts.already_bound);
    return p;
  }
  if (!yes) {
    p.state = LoginState::kDenied;
    p.reason = std::move(reason);
    p.reply = text_reply(texts.denied);
    return p;
  }
  p.state = LoginState::kConfirmed;
  if (s.purpose == LoginPurpose::kBind) {
    p.user_id = s.user_id;
    p.write_binding = true;
    p.reply = text_reply(texts.bound);
  } else {
    p.user_id = context.bound_user;
    p.reply = text_reply(texts.logged_in);
  }
  return p;
}

}  // namespace

LoginPlan plan_login(const Event& event, const LoginContext& context, const LoginTexts& texts) {
  LoginPlan none;
  const bool scan = event.kind == EventKind::kSubscribe || event.kind == EventKind::kScan;
  if (scan) {
    if (!context.login_scene) return none;
    LoginPlan p;
    p.handled = true;
    const auto& s = context.session;
    const LoginState state = s ? effective_state(*s, event.create_time) : LoginState::kExpired;
    if (!s || is_final(state)) {
      p.reply = text_reply(texts.expired);  // an old code, or a session already decided
      return p;
    }
    if (state == LoginState::kScanned) {
      // Waiting for an answer: the same follower is asked again; anybody else is told it is gone.
      p.reply = s->openid == event.openid ? text_reply(render_prompt(texts.prompt, *s)) : text_reply(texts.expired);
      return p;
    }
    if (s->confirm_in_wechat) {
      p.change = true;
      p.state = LoginState::kScanned;
      p.openid = event.openid;
      p.reply = text_reply(render_prompt(texts.prompt, *s));
      return p;
    }
    return decide(event, *s, context, texts, true, "");
  }
  // A text message answers the prompt of the session waiting for this follower, if any.
  if (event.name != "text" || !context.session) return none;
  const LoginSession& s = *context.session;
  if (effective_state(s, event.create_time) != LoginState::kScanned || s.openid != event.openid) return none;
  switch (parse_login_answer(event.content)) {
    case LoginAnswer::kYes: return decide(event, s, context, texts, true, "");
    case LoginAnswer::kNo: return decide(event, s, context, texts, false, "denied_in_wechat");
    case LoginAnswer::kUnclear: break;
  }
  LoginPlan p;
  p.handled = true;
  p.reply = text_reply(texts.answer_hint);
  return p;
}

}  // namespace qrscene::domain
