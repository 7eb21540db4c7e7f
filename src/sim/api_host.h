// How the simulator adds its routes (internal to sim/). ApiHost adds an API host route answered
// as WeChat answers every call: a fault first, then the access_token, then the body, then the
// area's answer. Each WeChat area adds its routes next to its Platform methods (add_qr_routes in
// qr_codes.cpp, ...); Simulator::add_routes calls them in turn and adds the token routes and the
// image host itself, Simulator::add_control_routes (control_api.cpp) the control API.
// Also here: WeChat's JSON answers, the faults that replace them, and the simulator's thread pool.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"
#include "net/asio.h"
#include "net/http_server.h"
#include "sim/platform.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "sim/token_authority.h"

namespace qrscene::sim {

// The simulator's own thread pool: blocking work (pushes, image rendering) runs here, never on
// the server's I/O threads.
struct Simulator::Pool {
  explicit Pool(int threads) : pool(static_cast<std::size_t>(std::max(1, threads))) {}
  asio::thread_pool pool;
};

// WeChat's answers: HTTP 200, JSON, its odd Content-Type.
[[nodiscard]] net::HttpResponse wx_ok(const Json& j);
// An error as WeChat answers it: {"errcode","errmsg"}, errmsg ending in " rid: …" (-1 when `e`
// has no errcode).
[[nodiscard]] net::HttpResponse wx_fail(const Error& e, Rng& rng, std::int64_t now);
// An HTTP date (RFC 9110, "Sun, 06 Jan 2013 10:20:18 GMT") of a Unix time.
[[nodiscard]] std::string http_date(std::int64_t unix_seconds);
// What a fault answers (after its delay), or nothing: the call is answered as usual.
[[nodiscard]] asio::awaitable<std::optional<net::HttpResponse>> answer_fault(std::optional<ApiFault> f, Rng& rng,
                                                                            std::int64_t now);

class ApiHost {
 public:
  // A route's answer from the appid the access_token belongs to, the request and its JSON body
  // ({} for GET, and for a POST route that takes no body).
  using Fn = std::function<Result<Json>(const std::string& appid, const net::HttpRequest&, const Json& body)>;
  // The same for a route whose success is not JSON (media/get's file); errors are still WeChat's JSON.
  using RawFn =
      std::function<Result<net::HttpResponse>(const std::string& appid, const net::HttpRequest&, const Json& body)>;
  // The fault for a call to `path`, counted as hit, if one applies (Simulator::take_fault).
  using TakeFault = std::function<std::optional<ApiFault>(std::string_view path)>;

  // The routes refer to `clock`, `rng` and `tokens`: they must outlive the router. The ApiHost
  // itself need not.
  ApiHost(net::Router& router, const Clock& clock, Rng& rng, const TokenAuthority& tokens, TakeFault take_fault);

  // An API host route: token checked, body parsed (POST), the other verb answered 43001/43002.
  // In this order: a fault for `path`; the access_token (tokens.check); for a POST that
  // `needs_body`, an empty body 44002 and one that is not JSON 47001; then `fn`.
  void add(std::string method, std::string path, Fn fn, bool needs_body = true);
  void add_raw(std::string method, std::string path, RawFn fn, bool needs_body = true);
  // A route that only answers `errcode`: a wrong verb, 43001 (GET expected) or 43002 (POST expected).
  void add_wrong_verb(std::string method, std::string path, int errcode);

 private:
  net::Router& router_;
  const Clock& clock_;
  Rng& rng_;
  const TokenAuthority& tokens_;
  TakeFault take_fault_;
};

// Each WeChat area's API host routes, in the file of its Platform methods.
void add_qr_routes(ApiHost& api, Platform& platform);        // qr_codes.cpp: qrcode/create
void add_user_routes(ApiHost& api, Platform& platform);      // users.cpp: user/info, batchget, get, updateremark
void add_tag_routes(ApiHost& api, Platform& platform);       // tags.cpp: tags/…, user/tag/get
void add_menu_routes(ApiHost& api, Platform& platform);      // menus.cpp: menu/…, get_current_selfmenu_info
void add_message_routes(ApiHost& api, Platform& platform);   // messages.cpp: message/custom/send
void add_media_routes(ApiHost& api, Platform& platform);     // media.cpp: media/upload, media/get
// templates.cpp: message/template/send, template/get_all_private_template. `push_later` delivers
// a send's TEMPLATESENDJOBFINISH once the answer is on its way (Simulator::push_later).
void add_template_routes(ApiHost& api, Platform& platform, std::function<void(Action)> push_later);
void add_datacube_routes(ApiHost& api, Platform& platform);  // datacube.cpp: datacube/…, clear_quota

}  // namespace qrscene::sim
