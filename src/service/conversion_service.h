// ConversionService: conversions sent by the account's backend (an order, a payment, a sign-up),
// checked and recorded once per external id, and the per-channel, per-group and per-owner figures
// under the first-touch and last-touch models (domain/conversion.h, docs/metrics.md).
//
// Errors: kInvalidArgument naming each field; kAlreadyExists when an external id comes again with
// other values; the store's errors otherwise.
// Thread safety: as the repositories'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "domain/ports.h"

namespace qrscene::service {

struct ConversionReport {
  std::string currency;
  domain::Touch touch = domain::Touch::kFirst;
  domain::Breakdown by = domain::Breakdown::kChannel;
  std::int64_t first_day = 0, last_day = 0;  // local days, inclusive
  std::vector<domain::ConversionFigures> rows;  // attributed, most valuable first
  domain::ConversionFigures totals;             // over the attributed rows
  std::optional<domain::ConversionFigures> unattributed;  // whole account only
};

class ConversionService {
 public:
  ConversionService(domain::FollowerRepository& followers, domain::StatsRepository& stats, const Clock& clock,
                    std::string default_currency);

  [[nodiscard]] const std::string& default_currency() const noexcept { return default_currency_; }
  // Fills a missing currency with the default and checks (every problem, one per line).
  [[nodiscard]] Status prepare(domain::ConversionInput& input) const;
  // prepare(), then records.
  [[nodiscard]] Result<domain::RecordedConversion> record(domain::ConversionInput input);
  [[nodiscard]] Result<ConversionReport> report(const domain::ChannelFilter& filter, domain::Breakdown by,
                                                domain::Touch touch, std::string currency, std::int64_t first_day,
                                                std::int64_t last_day);

 private:
  domain::FollowerRepository& followers_;
  domain::StatsRepository& stats_;
  const Clock& clock_;
  std::string default_currency_;
};

// JSON for the API and `qrscene conversions --json` (the shapes are in docs/api.yaml).
[[nodiscard]] std::string to_json(const ConversionReport& report);

}  // namespace qrscene::service
