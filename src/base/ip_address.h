// IP addresses, networks, and the client's address behind proxies ([server] trusted_proxies).
//
// A TCP peer that is not a trusted proxy is the client, whatever it sends. A trusted proxy's
// X-Forwarded-For is read right to left (each proxy appends the address it saw): trusted hops are
// skipped and the first address that is not trusted is the client. A value that is not an IP
// address ends the walk, and the last trusted hop stands for the client: nothing a client wrote
// is ever taken as its address. X-Real-IP is never read (two headers would mean two answers).
//
// Every rate limit, log line and prompt gets its address from HttpRequest::client_ip, which the
// server fills with TrustedProxies::client once per request.
//
// Thread safety: immutable after parse; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace qrscene {

// An IPv4 or IPv6 address, IPv4 held as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one rule fits both.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  // "203.0.113.7", "2001:db8::1", "::ffff:10.0.0.1"; nothing around it (no port, no brackets).
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text);
  // The canonical text: dotted quad for IPv4 (also when it came IPv4-mapped), RFC 5952 for IPv6.
  [[nodiscard]] std::string to_string() const;
};

// An address or a network: "10.0.0.0/8", "::1", "fd00::/8".
struct IpNetwork {
  IpAddress base;
  int prefix = 128;  // in IPv6 bits (an IPv4 /8 is /104 here)

  [[nodiscard]] static Result<IpNetwork> parse(std::string_view text);
  [[nodiscard]] bool contains(const IpAddress& address) const noexcept;
};

// The key a per-client limit counts under: an IPv4 address as it is, an IPv6 address by its /64
// (one host is given a whole /64 and could otherwise take a fresh allowance per address). Text
// that is not an address is its own key.
[[nodiscard]] std::string client_key(std::string_view address);

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // A comma- or space-separated list of addresses and CIDR networks; "" trusts no one. The error
  // names the entry that is not one.
  [[nodiscard]] static Result<TrustedProxies> parse(std::string_view list);

  [[nodiscard]] bool empty() const noexcept { return networks_.empty(); }
  [[nodiscard]] bool trusts(const IpAddress& address) const noexcept;

  // The client's address as text: `peer` (the TCP peer) unless it is trusted, then as above.
  // `forwarded_for` is every X-Forwarded-For header's value, in order, joined by commas.
  [[nodiscard]] std::string client(std::string_view peer, std::string_view forwarded_for) const;

 private:
  std::vector<IpNetwork> networks_;
};

}  // namespace qrscene
