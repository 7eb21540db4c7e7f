// EventMapping: a verified, parsed push (wechat::Inbound) turned into what ingest works on
// (domain::Event, DESIGN.md section 3): the follower, the kind, the scene and ticket, WeChat's
// name for the push and its dedup key.
//
// Thread safety: pure function.
#pragma once

#include <string_view>

#include "domain/ingest.h"
#include "wechat/inbound.h"

namespace qrscene::service {

[[nodiscard]] domain::Event to_event(const wechat::Inbound& inbound, std::string_view appid);

}  // namespace qrscene::service
