// CurlTransport: wechat::HttpTransport over libcurl, for the WeChat API and image hosts.
//
// - TLS verification is on (peer and host name); a CA bundle may be given, otherwise the system's.
// - Connections are reused: finished easy handles go back to a pool and keep their connections.
// - Proxies come from the environment as libcurl reads them (https_proxy, http_proxy, no_proxy).
// - Replies longer than max_response_bytes are cut off with kTooLarge, so a broken or hostile
//   upstream cannot exhaust memory.
// - Only http and https are allowed, also for redirects (which are not followed).
//
// Thread safety: send() may be called from many threads at once; each call takes its own handle.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "wechat/http_transport.h"

namespace qrscene::net {

struct CurlTransportOptions {
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  std::chrono::milliseconds connect_timeout{3'000};
  bool verify_tls = true;   // turn off only for a test upstream with a self-signed certificate
  std::string ca_file;      // empty: the system's CA bundle
  std::string user_agent = "qrscene/0.1";
  std::size_t max_idle_handles = 16;
};

class CurlTransport final : public wechat::HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  [[nodiscard]] Result<wechat::HttpReply> send(const wechat::HttpCall& call) override;

 private:
  void* take_handle();
  void give_back(void* handle);

  CurlTransportOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, guarded by mu_
};

}  // namespace qrscene::net
