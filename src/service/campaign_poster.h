// A participant's poster (fission campaigns, issue 25): the campaign's template filled for one
// participant — their code's URL in the square, {expires} (the code's last day, yyyy-mm-dd in the
// account's time zone) and {campaign} (its name) in the lines — then composed by qr::compose_poster.
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "domain/campaign.h"
#include "qr/poster.h"

namespace qrscene::service {

// How long a participant's code made at `now` lives: until a day after the campaign ends, 60 s to
// WeChat's 30 days (no overflow for any ends_at).
[[nodiscard]] std::int64_t code_lifetime_seconds(const domain::Campaign& campaign, std::int64_t now) noexcept;

// `background`: the campaign's background bytes ("" for none); `url`: what the code holds;
// `code_expires_at`: Unix seconds.
[[nodiscard]] qr::PosterSpec poster_spec(const domain::Campaign& campaign, std::string background, std::string url,
                                         std::int64_t code_expires_at, std::int64_t utc_offset_seconds);

}  // namespace qrscene::service
