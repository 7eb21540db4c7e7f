#include "base/ip_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/strings.h"

namespace qrscene {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress a;
  if (in_addr v4{}; inet_pton(AF_INET, buf, &v4) == 1) {
    a.bytes[10] = a.bytes[11] = 0xff;
    std::memcpy(a.bytes.data() + 12, &v4, 4);
    a.v4 = true;
    return a;
  }
  if (in6_addr v6{}; inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(a.bytes.data(), &v6, 16);
    static constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a.v4 = std::memcmp(a.bytes.data(), kMapped.data(), kMapped.size()) == 0;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

Result<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return unexpected(ErrorCode::kInvalidArgument, fmt::format("'{}' is not an IP address or CIDR network", text));
  }
  IpNetwork n{*address, 128};
  if (slash != std::string_view::npos) {
    const std::string_view bits = text.substr(slash + 1);
    int prefix = -1;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    const int max = address->v4 ? 32 : 128;
    if (ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > max) {
      return unexpected(ErrorCode::kInvalidArgument,
                        fmt::format("'{}': the prefix length must be 0..{}", text, max));
    }
    n.prefix = address->v4 ? prefix + 96 : prefix;
  }
  return n;
}

bool IpNetwork::contains(const IpAddress& address) const noexcept {
  int left = prefix;
  for (std::size_t i = 0; i < 16 && left > 0; ++i, left -= 8) {
    const auto mask = static_cast<std::uint8_t>(left >= 8 ? 0xff : 0xff << (8 - left));
    if ((address.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

std::string client_key(std::string_view address) {
  auto a = IpAddress::parse(address);
  if (!a) return std::string(address);
  if (a->v4) return a->to_string();
  std::fill(a->bytes.begin() + 8, a->bytes.end(), std::uint8_t{0});
  return a->to_string() + "/64";
}

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  while (!list.empty()) {
    const auto end = list.find_first_of(", \t");
    const std::string_view entry = list.substr(0, end);
    if (!entry.empty()) {
      QRSCENE_ASSIGN_OR_RETURN(auto network, IpNetwork::parse(entry));
      out.networks_.push_back(network);
    }
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return out;
}

bool TrustedProxies::trusts(const IpAddress& address) const noexcept {
  for (const auto& n : networks_) {
    if (n.contains(address)) return true;
  }
  return false;
}

std::string TrustedProxies::client(std::string_view peer, std::string_view forwarded_for) const {
  auto hop = IpAddress::parse(peer);
  if (!hop) return std::string(peer);  // not from a socket we made; nothing to read further
  while (trusts(*hop) && !forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const auto next = IpAddress::parse(trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1)));
    if (!next) break;  // not an address: the trusted hop is as far as anyone can vouch for
    hop = next;
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
  }
  return hop->to_string();
}

}  // namespace qrscene
