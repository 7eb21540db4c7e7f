// The one mapping from qrscene error codes to HTTP statuses, used by every endpoint we serve.
//
// The callback endpoint relies on it for WeChat's retry behaviour: a 2xx tells WeChat the push is
// handled (it will not retry), anything else makes it retry. So only success may map to 2xx, and
// kUnavailable / kDeadlineExceeded / kInternal map to 5xx, which WeChat retries.
//
// Thread safety: pure functions.
#pragma once

#include "base/result.h"
#include "net/asio.h"

namespace qrscene::net {

[[nodiscard]] http::status http_status_for(ErrorCode code) noexcept;

}  // namespace qrscene::net
