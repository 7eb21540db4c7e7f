#include "domain/conversion.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <charconv>
#include <map>
#include <set>
#include <tuple>

#include "base/strings.h"
#include "domain/analytics.h"

namespace qrscene::domain {

std::string_view to_string(Touch touch) noexcept { return touch == Touch::kFirst ? "first" : "last"; }

std::optional<Touch> touch_from(std::string_view text) noexcept {
  if (text == "first") return Touch::kFirst;
  if (text == "last") return Touch::kLast;
  return std::nullopt;
}

std::optional<FollowerSort> follower_sort_from(std::string_view text) noexcept {
  if (text == "followed_at") return FollowerSort::kFollowedAt;
  if (text == "left_at") return FollowerSort::kLeftAt;
  if (text == "channel") return FollowerSort::kChannel;
  if (text == "value") return FollowerSort::kValue;
  return std::nullopt;
}

namespace {

// 2012-01-01: before WeChat's Official Accounts there was nothing to credit.
constexpr std::int64_t kEarliest = 1'325'376'000;
constexpr std::int64_t kSkew = 300;

bool printable(std::string_view s) {
  return first_invalid_utf8(s) == std::string_view::npos &&
         std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Status check_conversion(const ConversionInput& c, std::int64_t now) {
  std::vector<FieldError> problems;
  if (c.external_id.empty() || c.external_id.size() > kMaxExternalIdBytes || !printable(c.external_id)) {
    problems.push_back(
        {"external_id",
         fmt::format("required, 1..{} bytes of printable UTF-8 (your order or payment id)", kMaxExternalIdBytes),
         c.external_id.empty() ? "required" : "bad_format", {{"max", std::to_string(kMaxExternalIdBytes)}}});
  }
  if (c.openid.empty() == c.unionid.empty()) {
    problems.push_back({"openid", "give the follower's openid or unionid (exactly one)", "exactly_one",
                        {{"fields", "openid,unionid"}}});
  }
  for (const auto& [name, value] : {std::pair{"openid", &c.openid}, std::pair{"unionid", &c.unionid}}) {
    if (value->size() > 64 || !std::all_of(value->begin(), value->end(), [](char ch) {
          return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' ||
                 ch == '_';
        })) {
      problems.push_back({name, "not an id WeChat gives (letters, digits, - and _, at most 64)", "not_wechat_id"});
    }
  }
  if (c.kind.empty() || c.kind.size() > kMaxConversionKindBytes ||
      !std::all_of(c.kind.begin(), c.kind.end(), [](char ch) {
        return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_';
      })) {
    problems.push_back({"kind",
                        fmt::format("required, 1..{} of a-z, 0-9, - and _ (order, payment, signup, …)",
                                    kMaxConversionKindBytes),
                        c.kind.empty() ? "required" : "bad_format", {{"max", std::to_string(kMaxConversionKindBytes)}}});
  }
  const ProblemParams value_range{{"min", "0"}, {"max", std::to_string(kMaxValueCents)}};
  if (c.value_cents < 0) {
    problems.push_back(
        {"value_cents", "must not be negative (record refunds in your backend)", "out_of_range", value_range});
  }
  if (c.value_cents > kMaxValueCents) {
    problems.push_back({"value_cents",
                        fmt::format("at most {} (¥10 billion in fen), got {}", kMaxValueCents, c.value_cents),
                        "out_of_range", value_range});
  }
  if (c.currency.size() != 3 ||
      !std::all_of(c.currency.begin(), c.currency.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    problems.push_back({"currency", fmt::format("'{}' is not an ISO 4217 code such as CNY", c.currency),
                        "not_currency"});
  }
  if (c.occurred_at < kEarliest) {
    problems.push_back({"occurred_at", "required, Unix seconds or RFC 3339, after 2012",
                        c.occurred_at == 0 ? "required" : "too_early", {{"min", std::to_string(kEarliest)}}});
  } else if (c.occurred_at > now + kSkew) {
    problems.push_back({"occurred_at", "in the future; send conversions after they happen", "in_future"});
  }
  if (problems.empty()) return {};
  return field_errors(std::move(problems));
}

std::vector<ConversionFigures> summarize_conversions(std::span<const CreditedConversion> rows) {
  struct Acc {
    ConversionFigures figures;
    std::set<std::string> people;
    std::map<std::string, std::int64_t> first_lag;  // person -> seconds from the touch to the first conversion
    std::map<std::string, std::int64_t> first_at;
  };
  std::map<std::tuple<bool, std::string, std::int64_t>, Acc> by_key;
  for (const auto& r : rows) {
    Acc& a = by_key[{r.attributed, r.key, r.channel_id}];
    a.figures.attributed = r.attributed;
    a.figures.key = r.key;
    a.figures.channel_id = r.channel_id;
    ++a.figures.conversions;
    // Each value is at most kMaxValueCents; the sum stops at the largest 64-bit number rather than wrap.
    if (__builtin_add_overflow(a.figures.value_cents, std::min(r.value_cents, kMaxValueCents), &a.figures.value_cents)) {
      a.figures.value_cents = std::numeric_limits<std::int64_t>::max();
    }
    if (r.person.empty()) continue;
    a.people.insert(r.person);
    if (r.touch_at == 0) continue;
    auto it = a.first_at.find(r.person);
    if (it == a.first_at.end() || r.occurred_at < it->second) {
      a.first_at[r.person] = r.occurred_at;
      a.first_lag[r.person] = std::max<std::int64_t>(0, r.occurred_at - r.touch_at);
    }
  }
  std::vector<ConversionFigures> out;
  for (auto& [key, a] : by_key) {
    a.figures.converters = static_cast<std::int64_t>(a.people.size());
    std::vector<std::int64_t> lags;
    for (const auto& [person, lag] : a.first_lag) lags.push_back(lag);
    if (!lags.empty()) {
      std::sort(lags.begin(), lags.end());
      const std::size_t n = lags.size();
      a.figures.median_seconds_to_first = n % 2 == 1 ? lags[n / 2] : (lags[n / 2 - 1] + lags[n / 2]) / 2;
      std::int64_t sum = 0;
      for (auto l : lags) sum += l;
      a.figures.mean_seconds_to_first = sum / static_cast<std::int64_t>(n);
    }
    out.push_back(std::move(a.figures));
  }
  std::stable_sort(out.begin(), out.end(), [](const ConversionFigures& x, const ConversionFigures& y) {
    if (x.attributed != y.attributed) return x.attributed;  // the unattributed last
    if (x.value_cents != y.value_cents) return x.value_cents > y.value_cents;
    return x.conversions > y.conversions;
  });
  return out;
}

void set_followers(ConversionFigures& figures, std::int64_t followers) {
  figures.followers = followers;
  figures.value_per_follower_cents.reset();
  if (followers > 0) {
    figures.value_per_follower_cents = static_cast<double>(figures.value_cents) / static_cast<double>(followers);
  }
}

std::string time_label(std::int64_t unix_seconds, std::int64_t utc_offset_seconds) {
  const std::int64_t local = unix_seconds + utc_offset_seconds;
  const std::int64_t day = local >= 0 ? local / 86'400 : (local - 86'399) / 86'400;
  const std::int64_t s = local - day * 86'400;
  return fmt::format("{} {:02}:{:02}:{:02}", day_label(day), s / 3600, s / 60 % 60, s % 60);
}

std::optional<std::int64_t> parse_time(std::string_view text, std::int64_t utc_offset_seconds) noexcept {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return v;
  }
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const auto day = parse_day(text.substr(0, 10));
  if (!day) return std::nullopt;
  auto two = [&](std::size_t at) -> int {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') return -1;
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  const int h = two(11), m = two(14), s = two(17);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {  // fractions of a second are dropped
    rest.remove_prefix(1);
    const auto digits = rest.find_first_not_of("0123456789");
    if (digits == 0) return std::nullopt;
    rest.remove_prefix(digits == std::string_view::npos ? rest.size() : digits);
  }
  std::int64_t offset = utc_offset_seconds;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const int oh = two(text.size() - 5), om = two(text.size() - 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset = (rest[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else if (!rest.empty() || text[10] == 'T') {
    return std::nullopt;  // RFC 3339 needs its offset; only the space form is local time
  }
  return *day * 86'400 + h * 3600 + m * 60 + s - offset;
}

}  // namespace qrscene::domain
