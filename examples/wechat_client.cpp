// The WeChat API client used on its own, as docs/wechat-client.md shows it: create a temporary
// string-scene QR code, download its image, and read a follower's channel from user/info.
//
//   wechat_client_example API_BASE MP_BASE APPID SECRET   (e.g. against `qrscene sim`)
#include <fmt/format.h>

#include <fstream>

#include "base/clock.h"
#include "net/curl_transport.h"
#include "wechat/account_clients.h"

int main(int argc, char** argv) {
  using namespace qrscene;
  if (argc != 5) {
    fmt::print(stderr, "usage: {} API_BASE MP_BASE APPID SECRET\n", argv[0]);
    return 2;
  }
  net::CurlTransport transport;           // libcurl: TLS verified, connections reused
  wechat::MemoryTokenStore tokens;        // or a shared store when several processes call WeChat
  wechat::ApiClientOptions options;
  options.api_base = argv[1];             // default https://api.weixin.qq.com
  options.mp_base = argv[2];              // default https://mp.weixin.qq.com
  wechat::AccountClients accounts(transport, tokens, SystemClock::instance(), options);
  if (auto added = accounts.add({argv[3], Secret(argv[4]), wechat::TokenMode::kStable}); !added) {
    fmt::print(stderr, "{}\n", added.error().to_string());
    return 2;
  }
  wechat::ApiClient& api = **accounts.get(argv[3]);

  wechat::QrRequest request;              // checked before anything is sent
  request.kind = wechat::QrKind::kTemporary;
  request.scene_str = "poster-2024-spring";
  request.expire_seconds = 7 * 24 * 3600;
  auto ticket = api.create_qrcode(request);
  if (!ticket) {
    // The WeChat errcode is in detail; the message says what to do.
    fmt::print(stderr, "{}\n", ticket.error().to_string());
    return 1;
  }
  fmt::print("ticket {}\nencodes {}\nexpires at {}\n", ticket->ticket, ticket->url, ticket->expires_at);

  auto image = api.download_qrcode(ticket->ticket);  // from the mp host, ticket URL-encoded once
  if (!image) {
    fmt::print(stderr, "{}\n", image.error().to_string());
    return 1;
  }
  std::ofstream("poster.jpg", std::ios::binary).write(image->bytes.data(),
                                                     static_cast<std::streamsize>(image->bytes.size()));
  fmt::print("poster.jpg: {} bytes of {}\n", image->bytes.size(), image->content_type);
  return 0;
}
