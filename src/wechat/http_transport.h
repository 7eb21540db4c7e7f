// HttpTransport: how the WeChat API client reaches the network, declared here so that the client
// stays free of any HTTP library. net::CurlTransport is the real one; tests script their own.
//
// send() is blocking: call it from the blocking pool, never from an I/O thread. Any HTTP status
// is a reply (WeChat answers its errors with 200 and a JSON errcode; showqrcode answers 404 for an
// unknown ticket) — only a failure to get a whole reply is an error:
//   kInvalidArgument   the URL or method is unusable
//   kUnavailable       DNS, connect, TLS or a broken connection; retry with backoff if idempotent
//   kDeadlineExceeded  no whole reply within the call's timeout
//   kTooLarge          the reply is longer than the transport's cap
// Thread safety: implementations must allow concurrent send() calls.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace qrscene::wechat {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5'000};
};

struct HttpReply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header with this name (case-insensitive), or "".
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

// Retry policy for requests that are safe to send twice (the API client's idempotent calls and
// token requests): network errors, timeouts, HTTP 5xx and errcode -1 are tried again.
struct RetryPolicy {
  int max_attempts = 3;                            // tries in all, the first included
  std::chrono::milliseconds initial_backoff{200};  // doubled after each try
  std::chrono::milliseconds max_backoff{2'000};
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  [[nodiscard]] virtual Result<HttpReply> send(const HttpCall& call) = 0;
};

}  // namespace qrscene::wechat
