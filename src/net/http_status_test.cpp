#include "net/http_status.h"

#include <gtest/gtest.h>

namespace qrscene::net {
namespace {

TEST(HttpStatus, OnlyRetryableFailuresAreServerErrors) {
  // WeChat retries a push on anything but 2xx; these must never look like success.
  for (auto code : {ErrorCode::kInvalidArgument, ErrorCode::kUnauthenticated, ErrorCode::kPermissionDenied,
                    ErrorCode::kNotFound, ErrorCode::kAlreadyExists, ErrorCode::kFailedPrecondition,
                    ErrorCode::kResourceExhausted, ErrorCode::kTooLarge, ErrorCode::kUnavailable,
                    ErrorCode::kDeadlineExceeded, ErrorCode::kInternal}) {
    const auto s = static_cast<unsigned>(http_status_for(code));
    EXPECT_GE(s, 400u) << error_code_name(code);
  }
  EXPECT_EQ(http_status_for(ErrorCode::kInvalidArgument), http::status::bad_request);
  EXPECT_EQ(http_status_for(ErrorCode::kUnauthenticated), http::status::unauthorized);
  EXPECT_EQ(http_status_for(ErrorCode::kTooLarge), http::status::payload_too_large);
  EXPECT_EQ(http_status_for(ErrorCode::kResourceExhausted), http::status::too_many_requests);
  EXPECT_EQ(http_status_for(ErrorCode::kUnavailable), http::status::service_unavailable);
  EXPECT_EQ(http_status_for(ErrorCode::kInternal), http::status::internal_server_error);
}

}  // namespace
}  // namespace qrscene::net
