// Values in log lines, and errors that repeat.
//
// log_text is the one way a value from outside (a path, a header, an error message that quotes
// input) reaches a log line: control characters (C0, DEL, C1), line and paragraph separators,
// bidirectional overrides, quotes, backslashes and bytes that are not UTF-8 are escaped, so no
// value can end a line, disguise one or forge a field, and it is quoted when it holds a space,
// '=' or an escape (logfmt). Long values are cut at 256 bytes with the full length noted.
//
// LogThrottle turns a storm of the same error (a store outage: one per push) into one line per key
// per interval, carrying how many were left out.
//
// Thread safety: log_text is pure; LogThrottle's methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace qrscene {

[[nodiscard]] std::string log_text(std::string_view value);

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogThrottle(std::chrono::seconds interval) : interval_(interval) {}

  // Whether to log `key` now: the number of lines left out since the last one that was logged
  // (0 the first time), or nullopt to leave this one out (it is counted).
  [[nodiscard]] std::optional<std::int64_t> admit(std::string_view key, Clock::time_point now = Clock::now());

 private:
  struct Entry {
    Clock::time_point logged;
    std::int64_t left_out = 0;
  };
  std::chrono::seconds interval_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // guarded by mu_; keys are few and fixed
};

}  // namespace qrscene
