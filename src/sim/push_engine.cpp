#include "sim/push_engine.h"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "wechat/msg_crypt.h"
#include "wechat/reply.h"
#include "wechat/signature.h"

namespace qrscene::sim {
namespace {

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string with_query(const std::string& url, const std::string& query) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + query;
}

// An element's whole text, as WeChat's client shows it: every text and CDATA section in it joined
// (a reply holding "]]>" is written as two CDATA sections, and pugixml's child_value() gives the
// first only).
std::string element_text(const pugi::xml_node& element) {
  std::string out;
  for (auto n = element.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) out += n.value();
  }
  return out;
}

struct Judged {
  Delivery::Outcome outcome;
  std::string type, sees, xml, problem;
};

Judged bad(std::string problem) {
  return Judged{Delivery::Outcome::kBadReply, "", std::string(kServiceUnavailable), "", std::move(problem)};
}

// Judges a plaintext reply as WeChat's client shows it.
Judged judge_reply_xml(std::string xml, const SimAccount& account, std::string_view openid) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default & ~pugi::parse_doctype)) {
    return bad("the reply is not well-formed XML");
  }
  const auto root = doc.child("xml");
  if (!root) return bad("the reply has no <xml> root");
  if (std::string_view(root.child_value("ToUserName")) != openid) return bad("ToUserName is not the user's openid");
  if (std::string_view(root.child_value("FromUserName")) != account.original_id) {
    return bad("FromUserName is not the account's original id");
  }
  const std::string_view created = root.child_value("CreateTime");
  if (created.empty() || created.find_first_not_of("0123456789") != std::string_view::npos) {
    return bad("CreateTime is not an integer");
  }
  const std::string type = root.child_value("MsgType");
  std::string sees;
  if (type == "text") {
    sees = element_text(root.child("Content"));
    if (sees.empty()) return bad("a text reply without Content");
  } else if (type == "image" || type == "voice" || type == "video") {
    const char* box = type == "image" ? "Image" : type == "voice" ? "Voice" : "Video";
    if (std::string_view(root.child(box).child_value("MediaId")).empty()) return bad(type + " reply without MediaId");
    sees = fmt::format("[{}]", type);
  } else if (type == "music") {
    if (!root.child("Music")) return bad("a music reply without Music");
    sees = fmt::format("[music] {}", element_text(root.child("Music").child("Title")));
  } else if (type == "news") {
    const auto items = root.child("Articles");
    std::size_t n = 0;
    for (auto it = items.child("item"); it; it = it.next_sibling("item")) ++n;
    const std::string count = root.child_value("ArticleCount");
    if (n == 0 || n > 8 || count != std::to_string(n)) return bad("ArticleCount does not match 1..8 <item>s");
    sees = fmt::format("[news] {}", element_text(items.child("item").child("Title")));
  } else if (type == "transfer_customer_service") {
    return Judged{Delivery::Outcome::kNothing, type, "", std::move(xml), ""};
  } else {
    return bad("unknown MsgType '" + type + "'");
  }
  return Judged{Delivery::Outcome::kReplied, type, std::move(sees), std::move(xml), ""};
}

Judged judge(const std::string& body, const SimAccount& account, std::string_view openid,
             const wechat::MsgCrypt* cipher) {
  if (body.empty() || body == "success") return Judged{Delivery::Outcome::kNothing, "", "", "", ""};
  pugi::xml_document doc;
  const bool parsed = doc.load_buffer(body.data(), body.size(), pugi::parse_default & ~pugi::parse_doctype);
  const auto root = doc.child("xml");
  const bool encrypted = parsed && root && root.child("Encrypt");
  if (!encrypted) {
    if (account.mode == PushMode::kSafe) return bad("safe mode needs an encrypted reply");
    return judge_reply_xml(body, account, openid);
  }
  if (cipher == nullptr) return bad("an encrypted reply in plaintext mode");
  auto inner = cipher->open(root.child_value("MsgSignature"), root.child_value("TimeStamp"), root.child_value("Nonce"),
                           root.child_value("Encrypt"));
  if (!inner) return bad("the encrypted reply does not open: " + inner.error().message);
  return judge_reply_xml(std::move(*inner), account, openid);
}

}  // namespace

const char* to_string(Delivery::Outcome outcome) noexcept {
  switch (outcome) {
    case Delivery::Outcome::kNotPushed: return "not_pushed";
    case Delivery::Outcome::kReplied: return "replied";
    case Delivery::Outcome::kNothing: return "nothing";
    case Delivery::Outcome::kBadReply: return "bad_reply";
    case Delivery::Outcome::kNoAnswer: return "no_answer";
    case Delivery::Outcome::kMarkFailed: return "markfail";
  }
  return "not_pushed";
}

PushEngine::PushEngine(wechat::HttpTransport& transport, const Clock& clock, Rng& rng, PushOptions options)
    : transport_(transport), clock_(clock), rng_(rng), options_(options) {}

std::int64_t PushEngine::markfails() const {
  std::lock_guard lock(markfail_mu_);
  return markfails_;
}

bool PushEngine::blocked(const std::string& url) {
  if (options_.markfail_failures <= 0) return false;
  std::lock_guard lock(markfail_mu_);
  auto it = endpoints_.find(url);
  return it != endpoints_.end() && clock_.unix_seconds() < it->second.blocked_until;
}

bool PushEngine::count_failure(const std::string& url) {
  if (options_.markfail_failures <= 0) return false;
  const std::int64_t now = clock_.unix_seconds();
  std::lock_guard lock(markfail_mu_);
  Endpoint& e = endpoints_[url];
  e.failures.push_back(now);
  while (!e.failures.empty() && e.failures.front() <= now - options_.markfail_window.count()) e.failures.pop_front();
  if (static_cast<int>(e.failures.size()) < options_.markfail_failures) return false;
  e.failures.clear();
  e.blocked_until = now + options_.markfail_pause.count();
  ++markfails_;
  return true;
}

Delivery PushEngine::deliver(const SimAccount& account, std::string_view openid, std::string_view xml) {
  Delivery d;
  if (account.callback_url.empty()) return d;
  if (blocked(account.callback_url)) {
    d.outcome = Delivery::Outcome::kMarkFailed;
    d.user_sees = std::string(kServiceUnavailable);
    d.problem = "MarkFail: the callback URL failed too often; nothing is pushed to it for a while";
    return d;
  }

  std::optional<wechat::MsgCrypt> cipher;
  if (account.mode != PushMode::kPlain) {
    auto c = wechat::MsgCrypt::create(account.token, account.encoding_aes_key, account.appid,
                                      [this](std::span<std::uint8_t> out) { rng_.fill(out); });
    if (!c) {
      d.outcome = Delivery::Outcome::kNoAnswer;
      d.problem = "the account's EncodingAESKey is unusable: " + c.error().message;
      return d;
    }
    cipher.emplace(std::move(*c));
  }
  std::string body(xml);
  std::string encrypt;
  if (cipher) {
    encrypt = cipher->encrypt(xml);
    std::string env;
    wechat::append_cdata(env, encrypt);
    if (account.mode == PushMode::kSafe) {
      // Safe mode: only ToUserName and Encrypt.
      pugi::xml_document doc;
      doc.load_buffer(xml.data(), xml.size());
      std::string to;
      wechat::append_cdata(to, doc.child("xml").child_value("ToUserName"));
      body = "<xml><ToUserName>" + to + "</ToUserName><Encrypt>" + env + "</Encrypt></xml>";
    } else {
      const auto end = body.rfind("</xml>");
      body.insert(end, "<Encrypt>" + env + "</Encrypt>");
    }
  }

  auto make_url = [&]() {
    const std::string timestamp = std::to_string(clock_.unix_seconds());
    const std::string nonce = rng_.digits(10);
    std::string q = fmt::format("signature={}&timestamp={}&nonce={}", wechat::compute_signature(account.token, timestamp, nonce),
                                timestamp, nonce);
    if (options_.openid_param) q += "&openid=" + url_encode(openid);
    if (cipher) {
      q += "&encrypt_type=aes&msg_signature=" + wechat::compute_msg_signature(account.token, timestamp, nonce, encrypt);
    }
    return with_query(account.callback_url, q);
  };

  wechat::HttpCall call;
  call.method = "POST";
  call.url = make_url();
  call.headers = {{"Content-Type", "text/xml"}, {"User-Agent", "Mozilla/4.0"}, {"Accept", "*/*"}};
  call.body = std::move(body);
  call.timeout = options_.timeout;
  for (int i = 0; i < std::max(1, options_.attempts); ++i) {
    if (i > 0 && options_.retry_delay.count() > 0) std::this_thread::sleep_for(options_.retry_delay);
    if (i > 0 && options_.resign_retries) call.url = make_url();
    const auto start = std::chrono::steady_clock::now();
    auto reply = transport_.send(call);
    Attempt a;
    a.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    const bool failed = !reply || reply->status != 200;
    if (!reply) {
      a.error = reply.error().message;
    } else {
      a.status = reply->status;
      if (failed) a.error = fmt::format("HTTP {}", reply->status);
    }
    if (failed) {
      d.attempts.push_back(std::move(a));
      if (count_failure(account.callback_url)) {  // this failure blocks the URL: no more tries
        d.outcome = Delivery::Outcome::kMarkFailed;
        d.user_sees = std::string(kServiceUnavailable);
        d.problem = fmt::format("MarkFail after {} tries", d.attempts.size());
        return d;
      }
      continue;
    }
    d.attempts.push_back(std::move(a));
    Judged j = judge(reply->body, account, openid, cipher ? &*cipher : nullptr);
    d.outcome = j.outcome;
    d.reply_type = std::move(j.type);
    d.user_sees = std::move(j.sees);
    d.reply_xml = std::move(j.xml);
    d.problem = std::move(j.problem);
    return d;
  }
  d.outcome = Delivery::Outcome::kNoAnswer;
  d.user_sees = std::string(kServiceUnavailable);
  d.problem = fmt::format("no answer in {} tries", d.attempts.size());
  return d;
}

Status PushEngine::verify_url(const SimAccount& account) {
  if (account.callback_url.empty()) return unexpected(ErrorCode::kFailedPrecondition, "the account has no callback URL");
  const std::string timestamp = std::to_string(clock_.unix_seconds());
  const std::string nonce = rng_.digits(10);
  const std::string echostr = rng_.digits(19);
  wechat::HttpCall call;
  call.url = with_query(account.callback_url,
                        fmt::format("signature={}&echostr={}&timestamp={}&nonce={}",
                                    wechat::compute_signature(account.token, timestamp, nonce), echostr, timestamp, nonce));
  call.timeout = options_.timeout;
  QRSCENE_ASSIGN_OR_RETURN(auto reply, transport_.send(call));
  if (reply.status != 200) {
    return unexpected(ErrorCode::kFailedPrecondition, fmt::format("URL verification failed: HTTP {}", reply.status));
  }
  if (reply.body != echostr) {
    return unexpected(ErrorCode::kFailedPrecondition, "URL verification failed: the answer is not the echostr (token mismatch?)");
  }
  return {};
}

}  // namespace qrscene::sim
