// Scene rules and status changes of channels.
#include "domain/channel.h"

#include <gtest/gtest.h>

namespace qrscene::domain {
namespace {

TEST(CheckScene, IntScenesStayInTheirKindsRange) {
  EXPECT_TRUE(check_scene(ChannelKind::kPermanent, "1", true));
  EXPECT_TRUE(check_scene(ChannelKind::kPermanent, "100000", true));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "0", true));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "100001", true));
  EXPECT_TRUE(check_scene(ChannelKind::kTemporary, "100001", true));
  EXPECT_FALSE(check_scene(ChannelKind::kTemporary, "qrl_abc", false));  // kept for login sessions
  EXPECT_FALSE(check_scene(ChannelKind::kTemporary, "qrf_3_12", false));  // kept for campaign participants
  EXPECT_TRUE(check_scene(ChannelKind::kTemporary, "qrx_3_12", false));
  EXPECT_TRUE(check_scene(ChannelKind::kTemporary, "qrlx", false));
  EXPECT_TRUE(check_scene(ChannelKind::kTemporary, "4294967295", true));
  EXPECT_FALSE(check_scene(ChannelKind::kTemporary, "4294967296", true));
  const auto low = check_scene(ChannelKind::kTemporary, "5", true);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().message.find("permanent"), std::string::npos);
  ASSERT_EQ(low.error().fields.size(), 1u);
  EXPECT_EQ(low.error().fields[0].field, "scene");
  EXPECT_FALSE(check_scene(ChannelKind::kTemporary, "12a", true));
  EXPECT_FALSE(check_scene(ChannelKind::kTemporary, "", true));
}

TEST(CheckScene, StringScenesAreShortPrintableAndNotNumbers) {
  EXPECT_TRUE(check_scene(ChannelKind::kPermanent, "store-shanghai-01", false));
  EXPECT_TRUE(check_scene(ChannelKind::kTemporary, "门店", false));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "", false));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, std::string(65, 'a'), false));
  EXPECT_TRUE(check_scene(ChannelKind::kPermanent, std::string(64, 'a'), false));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "12345", false));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "a\nb", false));
  EXPECT_FALSE(check_scene(ChannelKind::kPermanent, "\xff\xfe", false));
}

TEST(CheckStatusChange, RetiredIsFinalAndExpiredIsOurs) {
  EXPECT_TRUE(check_status_change(ChannelStatus::kActive, ChannelStatus::kPaused));
  EXPECT_TRUE(check_status_change(ChannelStatus::kPaused, ChannelStatus::kActive));
  EXPECT_TRUE(check_status_change(ChannelStatus::kExpired, ChannelStatus::kRetired));
  EXPECT_FALSE(check_status_change(ChannelStatus::kRetired, ChannelStatus::kActive));
  EXPECT_FALSE(check_status_change(ChannelStatus::kActive, ChannelStatus::kExpired));
  EXPECT_FALSE(check_status_change(ChannelStatus::kExpired, ChannelStatus::kActive));
}

TEST(ChannelNames, RoundTrip) {
  for (auto s : {ChannelStatus::kActive, ChannelStatus::kPaused, ChannelStatus::kExpired, ChannelStatus::kRetired}) {
    EXPECT_EQ(channel_status_from(to_string(s)), s);
  }
  EXPECT_EQ(channel_kind_from("permanent"), ChannelKind::kPermanent);
  EXPECT_FALSE(channel_kind_from("forever"));
}

}  // namespace
}  // namespace qrscene::domain
