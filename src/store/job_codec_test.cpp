#include "store/job_codec.h"

#include <gtest/gtest.h>

namespace qrscene::store {
namespace {

TEST(JobCodec, EveryKindRoundTrips) {
  const domain::JobPayload jobs[] = {
      domain::TagJob{"o1", 134},
      domain::ProfileJob{"o2"},
      domain::WebhookJob{42, "wx1", "o3", "SCAN", domain::EventKind::kScan, 7, "s", "T", "", 1'714'010'400},
      domain::WebhookJob{43, "wx1", "o3", "CLICK", domain::EventKind::kOther, std::nullopt, "", "", "menu", 5},
      domain::CampaignPosterJob{3, 1207},
      domain::CampaignMessageJob{3, 1207, "还差 2 人", 1, "优惠券", 0},
      domain::CampaignMessageJob{3, 1207, "恭喜", 3, "优惠券", 88},
      domain::CampaignRewardJob{88},
  };
  for (const auto& job : jobs) {
    const auto back = decode_job(domain::job_kind(job), encode_job(job));
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, job) << encode_job(job);
  }
}

TEST(JobCodec, ReadsRowsEarlierVersionsWrote) {
  auto tag = decode_job("tag", R"({"openid":"o1","tag_id":134})");
  ASSERT_TRUE(tag);
  EXPECT_EQ(*tag, domain::JobPayload(domain::TagJob{"o1", 134}));
  auto hook = decode_job("webhook", R"({"appid":"wx1","channel_id":null,"create_time":5,"event":"unsubscribe",)"
                                    R"("event_id":9,"key":"","kind":"unsubscribe","openid":"o1","scene":"","ticket":""})");
  ASSERT_TRUE(hook) << hook.error().to_string();
  const auto& w = std::get<domain::WebhookJob>(*hook);
  EXPECT_EQ(w.kind, domain::EventKind::kUnsubscribe);
  EXPECT_EQ(w.channel_id, std::nullopt);
  EXPECT_EQ(w.event_id, 9);
}

TEST(JobCodec, AMalformedRowIsAnErrorThatSaysWhy) {
  EXPECT_EQ(decode_job("tag", "{\"openid\":\"o1\"}").error().message, "a stored tag job is malformed: no tag_id");
  EXPECT_EQ(decode_job("profile", "[]").error().message, "a stored profile job is malformed: not a JSON object");
  EXPECT_EQ(decode_job("mail", "{\"openid\":\"o1\"}").error().message,
            "a stored mail job is malformed: an unknown kind");
  EXPECT_FALSE(decode_job("webhook", "{\"openid\":\"o1\",\"event_id\":1}"));
  EXPECT_EQ(decode_job("campaign_message", R"({"campaign_id":3,"participant_id":1})").error().message,
            "a stored campaign_message job is malformed: a field is missing");
}

}  // namespace
}  // namespace qrscene::store
