#include "domain/jobs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qrscene::domain {
namespace {

Event follow() {
  Event e;
  e.appid = "wx1";
  e.openid = "o1";
  e.kind = EventKind::kSubscribe;
  e.name = "subscribe";
  e.scene = "store-01";
  e.ticket = "T1";
  e.create_time = 1'714'010'400;
  return e;
}

TEST(PlanJobs, ANewFollowerIsProfiledTaggedAndForwarded) {
  IngestPlan plan;
  plan.remember_follower = true;
  plan.tag_job = 134;
  plan.channel_id = 7;
  const std::vector<std::string> none;
  const auto jobs = plan_jobs(follow(), 42, plan, JobRules{true, true, none});
  ASSERT_EQ(jobs.size(), 3U);
  EXPECT_EQ(jobs[0], JobPayload(ProfileJob{"o1"}));
  EXPECT_EQ(jobs[1], JobPayload(TagJob{"o1", 134}));
  EXPECT_EQ(jobs[2], JobPayload(WebhookJob{42, "wx1", "o1", "subscribe", EventKind::kSubscribe, 7, "store-01", "T1",
                                           "", 1'714'010'400}));
  EXPECT_EQ(job_kind(jobs[0]), "profile");
  EXPECT_EQ(job_kind(jobs[1]), "tag");
  EXPECT_EQ(job_kind(jobs[2]), "webhook");
  EXPECT_TRUE(concerns_follower(jobs[0]));
  EXPECT_TRUE(concerns_follower(jobs[1]));
  EXPECT_FALSE(concerns_follower(jobs[2]));  // the backend hears of an unfollow too
}

TEST(PlanJobs, RulesDecideProfilesAndForwards) {
  IngestPlan plan;
  plan.remember_follower = true;
  const std::vector<std::string> none;
  EXPECT_TRUE(plan_jobs(follow(), 1, plan, JobRules{false, true, none}).empty());  // no channel: no forward

  Event click = follow();
  click.kind = EventKind::kOther;
  click.name = "CLICK";
  click.key = "menu_1";
  const std::vector<std::string> kinds = {"CLICK"};
  const auto forwarded = plan_jobs(click, 9, IngestPlan{}, JobRules{true, true, kinds});
  ASSERT_EQ(forwarded.size(), 1U);
  const auto& w = std::get<WebhookJob>(forwarded[0]);
  EXPECT_EQ(w.key, "menu_1");
  EXPECT_EQ(w.channel_id, std::nullopt);
  EXPECT_TRUE(plan_jobs(click, 9, IngestPlan{}, JobRules{true, false, kinds}).empty());  // forwarding off
}

}  // namespace
}  // namespace qrscene::domain
