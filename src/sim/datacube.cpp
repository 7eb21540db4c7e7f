// Platform's figures and quotas (platform.h): the datacube's user summary and cumulate, clearing
// the daily call quotas (clear_quota), and their API host routes.
#include "sim/platform.h"

#include <chrono>
#include <string>
#include <utility>

#include "base/strings.h"
#include "sim/api_host.h"
#include "sim/platform_fields.h"
#include "sim/wx_error.h"

namespace qrscene::sim {
namespace {

// "yyyy-mm-dd" → days since the epoch, or nothing.
std::optional<std::int64_t> parse_date(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  return parse_iso_date(v.get_ref<const std::string&>());
}

}  // namespace

Result<Json> Platform::datacube(std::string_view appid, const Json& body, bool cumulate) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (!a->account.verified) return wx_error(48001);
  const Json* b = member(body, "begin_date");
  const Json* e = member(body, "end_date");
  const auto begin_date = b == nullptr ? std::nullopt : parse_date(*b);
  const auto end_date = e == nullptr ? std::nullopt : parse_date(*e);
  if (!begin_date || !end_date) return wx_error(61500);
  // Plain values from here: g++ 12 -O2 misreads the optionals as maybe-uninitialized in the loops.
  const std::int64_t begin_day = *begin_date;
  const std::int64_t end_day = *end_date;
  const std::int64_t* begin = &begin_day;
  const std::int64_t* end = &end_day;
  const std::int64_t now = clock_.unix_seconds();
  const std::int64_t today = beijing_day(now);
  const std::int64_t first = parse_date(Json("2014-12-01")).value();
  // At most 7 days per call, ending yesterday at the latest, starting 2014-12-01 at the earliest.
  if (*end < *begin || *end - *begin > 6 || *end >= today || *begin < first) return wx_error(61501);
  // Yesterday's figures appear at 08:00 Beijing time.
  const bool yesterday_ready = (now + kBeijingOffset) % 86400 >= 8 * 3600;
  Json list = Json::array();
  std::int64_t running = 0;  // followers at the end of the last day with a figure
  for (const auto& [date, f] : a->days) {
    if (parse_date(Json(date)).value() >= *begin) break;
    if (f.cumulate >= 0) running = f.cumulate;
  }
  for (std::int64_t d = *begin; d <= *end; ++d) {
    if (d == today - 1 && !yesterday_ready) break;
    const std::string date = format_iso_date(d);
    auto it = a->days.find(date);
    if (cumulate) {
      if (it != a->days.end() && it->second.cumulate >= 0) running = it->second.cumulate;
      list.push_back({{"ref_date", date}, {"cumulate_user", running}});
      continue;
    }
    if (it == a->days.end() || it->second.by_source.empty()) {
      list.push_back({{"ref_date", date}, {"user_source", 0}, {"new_user", 0}, {"cancel_user", 0}});
      continue;
    }
    for (const auto& [source, counts] : it->second.by_source) {
      list.push_back({{"ref_date", date}, {"user_source", source}, {"new_user", counts.first},
                      {"cancel_user", counts.second}});
    }
  }
  return Json{{"list", std::move(list)}};
}

Result<Json> Platform::clear_quota(std::string_view appid, const Json& body) {
  std::lock_guard lock(mu_);
  QRSCENE_ASSIGN_OR_RETURN(AccountState * a, state(appid));
  if (string_member(body, "appid") != appid) return wx_error(40013);
  const auto ymd = std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::days{beijing_day(clock_.unix_seconds())}}};
  const std::int64_t month = static_cast<int>(ymd.year()) * 12 + static_cast<unsigned>(ymd.month());
  if (month != a->clear_month) {
    a->clear_month = month;
    a->clears = 0;
  }
  if (a->clears >= options_.clear_quota_per_month) return wx_error(48006);
  ++a->clears;
  a->quota_used.clear();
  return ok();
}

void add_datacube_routes(ApiHost& api, Platform& platform) {
  using net::HttpRequest;
  api.add("POST", "/datacube/getusersummary",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.datacube(appid, b, false); });
  api.add("POST", "/datacube/getusercumulate",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.datacube(appid, b, true); });
  api.add("POST", "/cgi-bin/clear_quota",
          [&platform](const std::string& appid, const HttpRequest&, const Json& b) { return platform.clear_quota(appid, b); });
}

}  // namespace qrscene::sim
