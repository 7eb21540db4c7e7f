// What the admin and login APIs share: JSON bodies read with every problem named, and errors
// answered as {"error": {"code", "message", "fields"}}.
//
// Thread safety: plain functions; a Fields is used by one thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/http_server.h"

namespace qrscene::service {

// An error as a response; a kInvalidArgument one lists the fields its lines name ("field: what").
[[nodiscard]] net::HttpResponse error_response(const Error& e);
[[nodiscard]] Error invalid(std::string message);
// The request's body as a JSON object.
[[nodiscard]] Result<nlohmann::json> parse_body(const net::HttpRequest& r);

// Fields of a JSON object, each checked for its type; unknown keys are errors too.
class Fields {
 public:
  Fields(const nlohmann::json& j, const std::set<std::string>& known);
  std::optional<std::string> text(const std::string& key);
  std::optional<std::int64_t> integer(const std::string& key);
  std::optional<bool> boolean(const std::string& key);
  void problem(std::string p) { problems_.push_back(std::move(p)); }
  // Every problem found, one per line, or success.
  [[nodiscard]] Status status() const;

 private:
  const nlohmann::json& j_;
  std::vector<std::string> problems_;
};

}  // namespace qrscene::service
