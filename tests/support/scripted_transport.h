// ScriptedTransport: a wechat::HttpTransport whose answers a test scripts, for the faults a real
// server will not produce on demand (errcode -1, token errors, 5xx, a dropped connection, a body
// that is not an image). It records every call, in order.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wechat/http_transport.h"

namespace qrscene::testing {

class ScriptedTransport final : public wechat::HttpTransport {
 public:
  using Answer = std::function<Result<wechat::HttpReply>(const wechat::HttpCall&)>;
  explicit ScriptedTransport(Answer answer = {}) : answer_(std::move(answer)) {}

  void script(Answer answer) {
    std::lock_guard lock(mu_);
    answer_ = std::move(answer);
  }

  Result<wechat::HttpReply> send(const wechat::HttpCall& call) override {
    Answer answer;
    {
      std::lock_guard lock(mu_);
      calls_.push_back(call);
      answer = answer_;
    }
    return answer(call);
  }

  [[nodiscard]] std::vector<wechat::HttpCall> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  [[nodiscard]] std::size_t count() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  // Calls whose URL contains `part`.
  [[nodiscard]] std::vector<wechat::HttpCall> calls_to(std::string_view part) const {
    std::lock_guard lock(mu_);
    std::vector<wechat::HttpCall> out;
    for (const auto& c : calls_) {
      if (c.url.find(part) != std::string::npos) out.push_back(c);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  Answer answer_;
  std::vector<wechat::HttpCall> calls_;
};

inline wechat::HttpReply json_reply(std::string body, unsigned status = 200) {
  wechat::HttpReply r;
  r.status = status;
  r.content_type = "application/json; encoding=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace qrscene::testing
