// A job's payload as the jobs table keeps it (its kind in `kind`, the rest a JSON object in
// `payload`; the shapes rows written by earlier versions have). Internal to store/.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "domain/jobs.h"

namespace qrscene::store {

[[nodiscard]] std::string encode_job(const domain::JobPayload& payload);
[[nodiscard]] Result<domain::JobPayload> decode_job(std::string_view kind, std::string_view payload);

}  // namespace qrscene::store
