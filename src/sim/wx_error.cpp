#include "sim/wx_error.h"

#include <fmt/format.h>

#include "sim/rng.h"

namespace qrscene::sim {

std::string_view default_errmsg(int errcode) noexcept {
  switch (errcode) {
    case -1: return "system error";
    case 0: return "ok";
    case 40001: return "invalid credential, access_token is invalid or not latest";
    case 40002: return "invalid grant_type";
    case 40003: return "invalid openid";
    case 40004: return "invalid media type";
    case 40005: return "invalid file type";
    case 40006: return "invalid meida size";  // sic: WeChat's own spelling
    case 40007: return "invalid media_id";
    case 40013: return "invalid appid";
    case 40014: return "invalid access_token";
    case 40016: return "invalid button size";
    case 40017: return "invalid button type";
    case 40018: return "invalid button name size";
    case 40019: return "invalid button key size";
    case 40020: return "invalid button url size";
    case 40023: return "invalid sub button size";
    case 40024: return "invalid sub button type";
    case 40025: return "invalid sub button name size";
    case 40026: return "invalid sub button key size";
    case 40027: return "invalid sub button url size";
    case 40032: return "invalid openid list size";
    case 40037: return "invalid template_id";
    case 40053: return "invalid action info";
    case 40125: return "invalid appsecret";
    case 40164: return "invalid ip, not in whitelist";
    case 41001: return "access_token missing";
    case 41002: return "appid missing";
    case 41004: return "appsecret missing";
    case 41005: return "media data missing";
    case 42001: return "access_token expired";
    case 43001: return "require GET method";
    case 43002: return "require POST method";
    case 43004: return "require subscribe";
    case 44002: return "empty post data";
    case 45001: return "media size out of limit";
    case 45009: return "reach max api daily quota limit";
    case 45011: return "api minute-quota reach limit, must slower, retry next minute";
    case 45015: return "response out of time limit or subscription is canceled";
    case 45029: return "qrcode count out of limit";
    case 45047: return "out of response count limit";
    case 45056: return "too many tags";
    case 45057: return "can't delete the tag that has too many fans";
    case 45058: return "can't modify sys tag";
    case 45059: return "too many tag now, no need to add new";
    case 45157: return "invalid tag name";
    case 45158: return "tag name too long";
    case 45159: return "invalid tag id";
    case 46001: return "media data no exist";
    case 46003: return "menu no exist";
    case 47001: return "data format error";
    case 48001: return "api unauthorized";
    case 48006: return "forbid to clear quota because of reaching the limit";
    case 49003: return "not match openid with appid";
    case 61004: return "access clientip is not registered";
    case 61500: return "date format error";
    case 61501: return "date range error";
    default: return "";
  }
}

Error wx_error(int errcode, std::string errmsg) {
  if (errmsg.empty()) errmsg = std::string(default_errmsg(errcode));
  ErrorCode code = ErrorCode::kInvalidArgument;
  switch (errcode) {
    case 40001: case 40014: case 42001: case 40125: case 41001: code = ErrorCode::kUnauthenticated; break;
    case 40164: case 61004: case 48001: code = ErrorCode::kPermissionDenied; break;
    case 45009: case 45011: case 45029: case 45047: case 45056: case 45059: case 48006:
      code = ErrorCode::kResourceExhausted; break;
    case 40003: case 46003: case 45159: case 40007: case 46001: code = ErrorCode::kNotFound; break;
    case 45001: code = ErrorCode::kTooLarge; break;
    case 43004: case 45015: code = ErrorCode::kFailedPrecondition; break;
    case -1: code = ErrorCode::kUnavailable; break;
    default: break;
  }
  return unexpected(code, std::move(errmsg), errcode);
}

std::string make_rid(std::int64_t unix_seconds, Rng& rng) {
  return fmt::format("{:08x}-{:08x}-{:08x}", static_cast<std::uint32_t>(unix_seconds),
                     static_cast<std::uint32_t>(rng.next()), static_cast<std::uint32_t>(rng.next()));
}

}  // namespace qrscene::sim
