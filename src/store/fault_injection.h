// Fault injection for the tests (DESIGN.md §6: fail the Nth step, loop N upward). A FaultPlan is
// shared by the connections it wraps; it counts every begin, exec, prepare and statement step on
// them, and the one it is told to fail answers kUnavailable, as a lost connection or a full disk
// would. The store is given a plan through StoreOptions::faults; production code never sets one.
// Thread safety: a FaultPlan may be used from every connection's thread at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "store/database.h"

namespace qrscene::store {

class FaultPlan {
 public:
  // Fails `count` steps from the nth from now on (1: the next one); 0 fails none.
  void fail_at(std::int64_t n, std::int64_t count = 1) {
    fired_ = false;
    fail_to_ = steps_.load() + n + count;
    fail_at_ = n == 0 ? 0 : steps_.load() + n;
  }
  // Counts one step; an error when it is the one to fail.
  [[nodiscard]] Status step();
  [[nodiscard]] std::int64_t steps() const noexcept { return steps_; }
  // Whether the step chosen by fail_at() has come.
  [[nodiscard]] bool fired() const noexcept { return fired_; }

 private:
  std::atomic<std::int64_t> steps_{0};
  std::atomic<std::int64_t> fail_at_{0};
  std::atomic<std::int64_t> fail_to_{0};  // the first step after the failing ones
  std::atomic<bool> fired_{false};
};

// `db`, with each of its steps counted by `plan`.
[[nodiscard]] std::unique_ptr<Database> with_faults(std::unique_ptr<Database> db, std::shared_ptr<FaultPlan> plan);

}  // namespace qrscene::store
