#include "base/clock.h"

namespace qrscene {

const SystemClock& SystemClock::instance() noexcept {
  static const SystemClock clock;
  return clock;
}

}  // namespace qrscene
