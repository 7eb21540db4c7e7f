// WeChat errors in the simulator: an Error whose detail is WeChat's errcode and whose message is
// its errmsg (without the " rid: …" suffix, which the HTTP layer adds), plus the rid itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace qrscene::sim {

class Rng;

// WeChat's errmsg for the codes the simulator answers with ("" for unknown codes).
[[nodiscard]] std::string_view default_errmsg(int errcode) noexcept;

// The Error for `errcode`, with `errmsg` or WeChat's usual text. Its code says what a client
// should do (kUnauthenticated for token errors, kResourceExhausted for quotas, ...).
[[nodiscard]] Error wx_error(int errcode, std::string errmsg = {});

// A request id as WeChat prints it: the Unix time in hex, then two random 8-hex groups
// ("60aca0ce-220f3372-6945f8d5").
[[nodiscard]] std::string make_rid(std::int64_t unix_seconds, Rng& rng);

}  // namespace qrscene::sim
