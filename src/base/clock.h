// Clock: the one way qrscene code reads the time, so that tests can control it.
//
// Production code receives a `const Clock&` (usually SystemClock::instance()); tests pass a
// FakeClock and move it by hand. Only wall-clock time is offered: WeChat timestamps, token expiry
// and event times are all Unix seconds.
//
// Thread safety: both implementations may be read and (FakeClock) advanced from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace qrscene {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using Duration = std::chrono::system_clock::duration;

  virtual ~Clock() = default;
  [[nodiscard]] virtual TimePoint now() const noexcept = 0;

  // Whole seconds since the Unix epoch, as WeChat's timestamp and CreateTime fields use.
  [[nodiscard]] std::int64_t unix_seconds() const noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const noexcept override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance() noexcept;
};

// A clock that stands still until told to move. Starts at the given Unix second.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_seconds = 1'700'000'000) noexcept
      : ticks_(std::chrono::duration_cast<Duration>(std::chrono::seconds(unix_seconds)).count()) {}

  [[nodiscard]] TimePoint now() const noexcept override {
    return TimePoint(Duration(ticks_.load(std::memory_order_acquire)));
  }
  void set(TimePoint t) noexcept { ticks_.store(t.time_since_epoch().count(), std::memory_order_release); }
  void set_unix_seconds(std::int64_t s) noexcept {
    set(TimePoint(std::chrono::duration_cast<Duration>(std::chrono::seconds(s))));
  }
  void advance(Duration d) noexcept { ticks_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<Duration::rep> ticks_;
};

}  // namespace qrscene
