#include "base/ip_address.h"

#include <gtest/gtest.h>

namespace qrscene {
namespace {

TrustedProxies proxies(std::string_view list) {
  auto p = TrustedProxies::parse(list);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? *p : TrustedProxies{};
}

TEST(ClientAddress, WithNoTrustedProxyThePeerIsTheClientWhateverItSends) {
  const TrustedProxies none;
  EXPECT_EQ(none.client("127.0.0.1", "203.0.113.9"), "127.0.0.1");
  EXPECT_EQ(none.client("::ffff:127.0.0.1", ""), "127.0.0.1");  // a dual-stack socket's IPv4 peer
}

TEST(ClientAddress, ATrustedProxysForwardedForIsReadRightToLeftThroughTrustedHops) {
  const TrustedProxies p = proxies("127.0.0.1, 10.0.0.0/8");
  EXPECT_EQ(p.client("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  // The client wrote the first value itself; nginx appended the address it saw.
  EXPECT_EQ(p.client("127.0.0.1", "1.1.1.1, 203.0.113.9"), "203.0.113.9");
  // Through two trusted hops (a load balancer on 10.x, then nginx on loopback).
  EXPECT_EQ(p.client("127.0.0.1", "1.1.1.1,198.51.100.4 , 10.1.2.3"), "198.51.100.4");
  // An untrusted peer's header is ignored.
  EXPECT_EQ(p.client("192.0.2.1", "203.0.113.9"), "192.0.2.1");
  // No header: the proxy itself.
  EXPECT_EQ(p.client("127.0.0.1", ""), "127.0.0.1");
}

TEST(ClientAddress, AValueThatIsNotAnAddressIsNeverTheClient) {
  const TrustedProxies p = proxies("127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", "请确认这是您本人"), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", "1.1.1.1, unknown"), "127.0.0.1");  // the walk stops; 1.1.1.1 is not taken
  EXPECT_EQ(p.client("127.0.0.1", "203.0.113.9:4444"), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", "\r\nforged=1"), "127.0.0.1");
  EXPECT_EQ(p.client("127.0.0.1", "2001:DB8::1"), "2001:db8::1");  // canonical text
}

TEST(ClientAddress, NetworksMatchByPrefixForBothFamilies) {
  const TrustedProxies p = proxies("10.0.0.0/8 fd00::/8 ::1 192.168.1.7/32");
  EXPECT_TRUE(p.trusts(*IpAddress::parse("10.255.0.1")));
  EXPECT_FALSE(p.trusts(*IpAddress::parse("11.0.0.1")));
  EXPECT_TRUE(p.trusts(*IpAddress::parse("::ffff:10.0.0.1")));
  EXPECT_TRUE(p.trusts(*IpAddress::parse("fdab::1")));
  EXPECT_FALSE(p.trusts(*IpAddress::parse("fe80::1")));
  EXPECT_TRUE(p.trusts(*IpAddress::parse("::1")));
  EXPECT_TRUE(p.trusts(*IpAddress::parse("192.168.1.7")));
  EXPECT_FALSE(p.trusts(*IpAddress::parse("192.168.1.8")));
  EXPECT_TRUE(proxies("0.0.0.0/0").trusts(*IpAddress::parse("8.8.8.8")));
  EXPECT_FALSE(proxies("0.0.0.0/0").trusts(*IpAddress::parse("2001:db8::1")));
}

TEST(ClientAddress, LimitsCountAnIpv6HostByItsSlash64) {
  EXPECT_EQ(client_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(client_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), client_key("2001:db8:1:2::9"));
  EXPECT_NE(client_key("2001:db8:1:3::1"), client_key("2001:db8:1:2::1"));
  EXPECT_EQ(client_key("::ffff:10.0.0.1"), "10.0.0.1");
}

TEST(ClientAddress, AListEntryThatIsNotANetworkIsNamed) {
  auto bad = TrustedProxies::parse("127.0.0.1, localhost");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("'localhost'"), std::string::npos) << bad.error().message;
  auto prefix = TrustedProxies::parse("10.0.0.0/33");
  ASSERT_FALSE(prefix);
  EXPECT_NE(prefix.error().message.find("0..32"), std::string::npos) << prefix.error().message;
  EXPECT_FALSE(TrustedProxies::parse("10.0.0.0/"));
  EXPECT_TRUE(TrustedProxies::parse("")->empty());
}

}  // namespace
}  // namespace qrscene
