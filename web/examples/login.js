// Scan to log in with qrscene: the example page (docs/login.md). It starts a session (the secret
// arrives as an HttpOnly cookie, so this script never sees it), shows the code, follows the
// session's events and shows the result, which is delivered once.
"use strict";

const TEXT = {
  zh: {
    title: "微信扫码登录", starting: "正在生成二维码…", scan: "请用微信扫一扫登录", scanned: "已扫码，请在微信中回复 1 确认",
    confirmed: "登录成功", denied: "已在微信中拒绝", expired: "二维码已过期", again: "刷新二维码", welcome: "登录成功",
    user: "网站用户", code: "交换码", confirm: "在微信中确认", qr_alt: "登录二维码", left: "{s} 秒后过期",
    failed: "出错了：", busy: "请求太频繁，请稍后再试", unbound: "（未绑定）",
    backend: "你的后端用交换码调用 POST /api/v1/login-sessions/exchange 换取用户身份。", lang: "English",
  },
  en: {
    title: "Log in with WeChat", starting: "Making your code…", scan: "Scan with WeChat to log in",
    scanned: "Scanned: reply 1 in WeChat to confirm", confirmed: "Logged in", denied: "Refused in WeChat",
    expired: "This code has expired", again: "New code", welcome: "Logged in", user: "Website user",
    code: "Exchange code", confirm: "Confirm in WeChat", qr_alt: "Login QR code", left: "expires in {s} s",
    failed: "Something went wrong: ", busy: "Too many attempts: try again in a minute", unbound: "(not bound)",
    backend: "Your backend trades the exchange code at POST /api/v1/login-sessions/exchange for the user.",
    lang: "中文",
  },
};

let lang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
let stream = null;
let timer = null;
const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key];

function translate() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-alt]").forEach((el) => { el.alt = t(el.dataset.i18nAlt); });
  $("lang").textContent = t("lang");
  const state = document.body.dataset.state;
  if (TEXT.zh[state]) $("hint").textContent = state === "pending" ? t("scan") : t(state);
}

function show(state, detail) {
  document.body.dataset.state = state;
  $("hint").textContent = state === "pending" ? t("scan") : t(state) ?? state;
  $("hint").className = "hint" + (state === "denied" || state === "error" ? " bad" : "");
  if (detail) $("hint").textContent += detail;
  const over = state === "expired" || state === "denied" || state === "error";
  $("veil").hidden = !over;
  $("veil-text").textContent = over ? $("hint").textContent : "";
  if (state === "confirmed") {
    $("qr-box").hidden = true;
    $("countdown").textContent = "";
  }
}

function countdown(expiresAt) {
  clearInterval(timer);
  const tick = () => {
    const left = Math.max(0, Math.round(expiresAt - Date.now() / 1000));
    $("countdown").textContent = document.body.dataset.state === "pending" ? t("left").replace("{s}", left) : "";
    if (left === 0) clearInterval(timer);
  };
  tick();
  timer = setInterval(tick, 1000);
}

function finish(result) {
  if (stream) stream.close();
  clearInterval(timer);
  $("countdown").textContent = "";
  if (result.state === "confirmed") {
    $("openid").textContent = result.openid;
    $("user-id").textContent = result.user_id || t("unbound");
    $("exchange").textContent = result.exchange_code;
    $("done").hidden = false;
  }
  show(result.state);
}

async function start() {
  if (stream) stream.close();
  $("done").hidden = true;
  show("starting");
  let session;
  try {
    const res = await fetch("/api/v1/login-sessions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ purpose: "login", confirm_in_wechat: $("confirm").checked }),
    });
    session = await res.json();
    if (!res.ok) throw new Error(res.status === 429 ? t("busy") : session.error?.message ?? res.status);
  } catch (e) {
    $("qr-box").hidden = false;
    show("error", e.message);
    $("hint").textContent = t("failed") + e.message;
    return;
  }
  $("qr").src = session.qr_png;
  $("qr-box").hidden = false;
  show("pending");
  countdown(session.expires_at);
  if (!window.EventSource) return poll(session, session.version);
  stream = new EventSource(session.events);
  stream.addEventListener("state", (e) => show(JSON.parse(e.data).state));
  stream.addEventListener("result", (e) => finish(JSON.parse(e.data)));
  stream.addEventListener("gone", () => { stream.close(); show("expired"); });
  stream.onerror = () => { if (stream.readyState === EventSource.CLOSED) show("expired"); };
}

// Without EventSource: long polls, each returning on a change or after 25 s.
async function poll(session, version) {
  for (;;) {
    const res = await fetch(`${session.status}?after=${version}&wait=25`, { credentials: "same-origin" });
    if (!res.ok) return show("expired");
    const s = await res.json();
    if (s.state === "confirmed" || s.state === "denied" || s.state === "expired") return finish(s);
    show(s.state);
    version = s.version;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  translate();
  $("again").addEventListener("click", start);
  $("confirm").addEventListener("change", start);
  $("lang").addEventListener("click", (e) => { e.preventDefault(); lang = lang === "zh" ? "en" : "zh"; translate(); });
  start();
});
