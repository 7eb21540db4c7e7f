#include "net/http_status.h"

namespace qrscene::net {

http::status http_status_for(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return http::status::bad_request;
    case ErrorCode::kUnauthenticated: return http::status::unauthorized;
    case ErrorCode::kPermissionDenied: return http::status::forbidden;
    case ErrorCode::kNotFound: return http::status::not_found;
    case ErrorCode::kAlreadyExists: return http::status::conflict;
    case ErrorCode::kFailedPrecondition: return http::status::conflict;
    case ErrorCode::kResourceExhausted: return http::status::too_many_requests;
    case ErrorCode::kTooLarge: return http::status::payload_too_large;
    case ErrorCode::kUnavailable: return http::status::service_unavailable;
    case ErrorCode::kDeadlineExceeded: return http::status::gateway_timeout;
    case ErrorCode::kInternal: return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

}  // namespace qrscene::net
