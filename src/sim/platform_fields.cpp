#include "sim/platform_fields.h"

#include <algorithm>
#include <functional>

namespace qrscene::sim {

std::optional<std::int64_t> as_int(const Json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? std::nullopt : std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

const Json* member(const Json& body, std::string_view key) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(key);
  return it == body.end() ? nullptr : &*it;
}

std::string string_member(const Json& body, std::string_view key) {
  const Json* v = member(body, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

Json ok() { return Json{{"errcode", 0}, {"errmsg", "ok"}}; }

std::int64_t menu_id(std::string_view appid) {
  return 1000 + static_cast<std::int64_t>(std::hash<std::string_view>{}(appid) % 1000);
}

}  // namespace qrscene::sim
