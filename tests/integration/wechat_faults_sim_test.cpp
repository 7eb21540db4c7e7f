// WeChat misbehaving, with the service and the simulator in-process: system busy (-1), the daily
// quota (45009), a 502, a body that is not JSON, a storm of 40001 and answers slower than our
// timeout. The jobs that call WeChat back off and finish once it is well again; the callback, which
// never calls WeChat, answers all along — also while a job waits on a slow call.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>

#include "integration/service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

class WechatFaultsTest : public ServiceSimTest {
 protected:
  config::Config faulty_config() {
    auto c = config();
    c.wechat.timeout_ms = 300;
    c.jobs.webhook_url.clear();  // only the jobs that call WeChat
    return c;
  }
  // A fault on every API call until cleared, shaped by `shape`.
  template <typename F>
  static sim::ApiFault always(F shape) {
    sim::ApiFault f;
    f.times = -1;
    shape(f);
    return f;
  }
  std::vector<std::int64_t> tags_of(const std::string& openid) { return sim_->platform().user(kPlainApp, openid)->tags; }
};

TEST_F(WechatFaultsTest, JobsBackOffWhileWeChatFailsAndFinishOnceItIsWell) {
  start(faulty_config());
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  struct Case {
    const char* what;
    sim::ApiFault fault;
  };
  const std::vector<Case> cases{
      {"system busy (-1)", always([](sim::ApiFault& f) { f.errcode = -1; })},
      {"daily quota reached (45009)", always([](sim::ApiFault& f) { f.errcode = 45009; })},
      {"HTTP 502", always([](sim::ApiFault& f) { f.status = 502; })},
      {"a body that is not JSON", always([](sim::ApiFault& f) { f.malformed = true; })},
      {"a storm of 40001", always([](sim::ApiFault& f) { f.errcode = 40001; })},
      {"answers slower than the timeout", always([](sim::ApiFault& f) { f.delay_ms = 1'000; })},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.what);
    const std::string u = user();
    act(sim_->platform().scan(kPlainApp, u, a.ticket, true));
    const auto tokens_before = sim_->tokens().requests(kPlainApp);
    sim_->add_fault(k.fault);
    auto failing = runtime_->run_jobs();
    ASSERT_TRUE(failing) << failing.error().to_string();
    EXPECT_EQ(failing->done, 0);
    EXPECT_EQ(failing->retried, 2);  // the tag and the profile, each to be tried again later
    EXPECT_EQ(failing->failed, 0);
    EXPECT_LE(sim_->tokens().requests(kPlainApp) - tokens_before, 4) << "a storm of 40001 must not become a storm of token requests";
    // Not due yet: nothing is sent while the jobs wait out their backoff.
    const auto hits = sim_->faults().front().hits;
    EXPECT_EQ(runtime_->run_jobs()->retried, 0);
    EXPECT_EQ(sim_->faults().front().hits, hits);
    // The callback does not depend on WeChat: a scan meanwhile is answered.
    const auto pushed = act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
    EXPECT_EQ(pushed.delivery.outcome, sim::Delivery::Outcome::kReplied);
    EXPECT_THAT(pushed.delivery.user_sees, HasSubstr("Store A"));

    sim_->clear_faults();
    clock_.advance(std::chrono::minutes(10));
    auto recovered = runtime_->run_jobs();
    ASSERT_TRUE(recovered) << recovered.error().to_string();
    EXPECT_EQ(recovered->failed, 0);
    EXPECT_EQ(tags_of(u), std::vector<std::int64_t>{a.wechat_tag_id});
    EXPECT_EQ(runtime_->store().job_counts(kPlainApp)->pending, 0);
  }
}

TEST_F(WechatFaultsTest, APushIsAnsweredWhileAJobWaitsOnASlowWeChat) {
  auto c = config();
  c.jobs.webhook_url.clear();
  c.wechat.timeout_ms = 20'000;
  start(c);
  const auto a = channel("Store A", domain::ChannelKind::kPermanent, "门店粉丝");
  act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
  sim::ApiFault slow;
  slow.path = "/cgi-bin/tags/members/batchtagging";
  slow.delay_ms = 4'000;
  sim_->add_fault(slow);
  auto jobs = std::async(std::launch::async, [this] { return runtime_->run_jobs(); });
  while (sim_->faults().front().hits == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The tagging call is now waiting on WeChat; a follow through the callback is stored and answered.
  const auto pushed = act(sim_->platform().scan(kPlainApp, user(), a.ticket, true));
  EXPECT_EQ(pushed.delivery.outcome, sim::Delivery::Outcome::kReplied);
  EXPECT_EQ(jobs.wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "the push waited for the job";
  EXPECT_EQ(totals(a.id).new_follows, 2);
  auto report = jobs.get();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->failed, 0);
}

}  // namespace
}  // namespace qrscene
