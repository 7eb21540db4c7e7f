// A campaign's rules as the campaigns table keeps them: everything but its id, account, name,
// window, status and times (columns of their own) in one JSON object, `spec`. Internal to store/.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/campaign.h"

namespace qrscene::store {

[[nodiscard]] std::string encode_campaign_spec(const domain::Campaign& campaign);
// Fills the spec's fields of `campaign`; a field a row of an earlier version lacks keeps its default.
[[nodiscard]] Status decode_campaign_spec(std::string_view spec, domain::Campaign& campaign);

}  // namespace qrscene::store
