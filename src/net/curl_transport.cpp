#include "net/curl_transport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include "base/redact.h"

namespace qrscene::net {
namespace {

struct Sink {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t cap = 0;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * n;
  if (sink->body.size() + bytes > sink->cap) {
    sink->too_large = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) sink->headers.clear();  // a new response (after 100 Continue)
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    sink->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return bytes;
}

struct SlistFree {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

Error transport_error(CURLcode code, const char* detail, const wechat::HttpCall& call) {
  const std::string where = fmt::format("{} {}", call.method, redact_url(call.url));
  const std::string why = (detail != nullptr && *detail != '\0') ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return unexpected(ErrorCode::kDeadlineExceeded,
                        fmt::format("{}: no reply within {} ms ({})", where, call.timeout.count(), why));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return unexpected(ErrorCode::kInvalidArgument, fmt::format("{}: {}", where, why));
    case CURLE_FILESIZE_EXCEEDED:
      return unexpected(ErrorCode::kTooLarge, fmt::format("{}: reply too large ({})", where, why));
    default:
      return unexpected(ErrorCode::kUnavailable, fmt::format("{}: {}", where, why));
  }
}

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) throw std::runtime_error("libcurl could not be initialised");
}

CurlTransport::~CurlTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* CurlTransport::take_handle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlTransport::give_back(void* handle) {
  std::lock_guard lock(mu_);
  if (idle_.size() < options_.max_idle_handles) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

Result<wechat::HttpReply> CurlTransport::send(const wechat::HttpCall& call) {
  if (call.method != "GET" && call.method != "POST" && call.method != "PUT" && call.method != "PATCH" &&
      call.method != "DELETE") {
    return unexpected(ErrorCode::kInvalidArgument, fmt::format("unsupported HTTP method '{}'", call.method));
  }
  auto* curl = static_cast<CURL*>(take_handle());
  if (curl == nullptr) return unexpected(ErrorCode::kInternal, "libcurl could not create a handle");
  // The handle keeps its connection cache across reset; options do not carry over.
  curl_easy_reset(curl);

  Sink sink;
  sink.cap = options_.max_response_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const auto& [k, v] : call.headers) {
    headers.reset(curl_slist_append(headers.release(), fmt::format("{}: {}", k, v).c_str()));
  }
  if (call.method == "POST" && call.headers.empty()) {
    headers.reset(curl_slist_append(headers.release(), "Content-Type: application/json; charset=utf-8"));
  }
  headers.reset(curl_slist_append(headers.release(), "Expect:"));  // no 100-continue round trip

  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  if (call.method == "POST" || call.method == "PUT" || call.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  if (call.method != "GET" && call.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* content_type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
  wechat::HttpReply reply;
  if (content_type != nullptr) reply.content_type = content_type;
  // Detach our stack objects before the handle goes back to the pool.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  give_back(curl);

  if (rc != CURLE_OK) {
    if (sink.too_large) {
      return unexpected(ErrorCode::kTooLarge, fmt::format("{} {}: reply longer than {} bytes", call.method,
                                                          redact_url(call.url), options_.max_response_bytes));
    }
    return transport_error(rc, error, call);
  }
  reply.status = static_cast<unsigned>(status);
  reply.body = std::move(sink.body);
  reply.headers = std::move(sink.headers);
  return reply;
}

}  // namespace qrscene::net
