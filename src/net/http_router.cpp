// What a handler sees of HTTP (http_server.h): the request's headers and parameters, the response
// helpers, and the router that matches "/a/{name}" patterns. The connection code is in
// http_server.cpp.
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/strings.h"
#include "net/http_server.h"
#include "net/http_status.h"

namespace qrscene::net {
namespace {

// Calls f(name, raw_value) for each key=value pair of a query string.
template <class F>
bool for_each_param(std::string_view query, F&& f) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (f(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1))) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// Whether `encoded` (a query key as sent) percent-decodes to `name`, without decoding it: a push
// asks for six parameters by name, and a key with no escape is most of them.
bool key_is(std::string_view encoded, std::string_view name) {
  if (encoded.find_first_of("%+") == std::string_view::npos) return encoded == name;
  return percent_decode(encoded) == name;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

}  // namespace

// --- HttpRequest / HttpResponse ---

std::string_view HttpRequest::header(std::string_view name) const noexcept {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

std::string HttpRequest::query_param(std::string_view name) const {
  std::string out;
  for_each_param(query, [&](std::string_view k, std::string_view v) {
    if (!key_is(k, name)) return false;
    out = v.find_first_of("%+") == std::string_view::npos ? std::string(v) : percent_decode(v);
    return true;
  });
  return out;
}

bool HttpRequest::has_query_param(std::string_view name) const {
  return for_each_param(query, [&](std::string_view k, std::string_view) { return key_is(k, name); });
}

std::string_view HttpRequest::path_param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}, {}};
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
  return HttpResponse{status, "application/json; charset=utf-8", std::move(body), {}, {}};
}

HttpResponse HttpResponse::error(const Error& error) {
  nlohmann::json j;
  j["error"]["code"] = error_code_name(error.code);
  j["error"]["message"] = error.message;
  if (error.detail != 0) j["error"]["detail"] = error.detail;
  return json(static_cast<unsigned>(http_status_for(error.code)),
              j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// --- Router ---

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

const Handler* Router::match(HttpRequest& request, unsigned& status, std::string& allow) const {
  const std::vector<std::string> segments = split_path(request.path);
  status = 404;
  allow.clear();
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& s = r.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        params.emplace_back(s.substr(1, s.size() - 2), percent_decode(segments[i]));
      } else {
        ok = s == segments[i];
      }
    }
    if (!ok) continue;
    if (r.method != request.method) {
      status = 405;
      if (allow.find(r.method) == std::string::npos) allow += allow.empty() ? r.method : ", " + r.method;
      continue;
    }
    request.path_params = std::move(params);
    return &r.handler;
  }
  return nullptr;
}

}  // namespace qrscene::net
