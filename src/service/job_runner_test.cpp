#include "service/job_runner.h"

#include <gtest/gtest.h>

namespace qrscene::service {
namespace {

// The body a backend receives is part of the API: its bytes are what the signature covers.
TEST(WebhookBody, IsOneJsonObjectWithItsKeysInOrder) {
  const domain::WebhookJob event{42, "wx1", "o1", "subscribe", domain::EventKind::kSubscribe, 7, "store-01", "T1", "",
                                 1'714'010'400};
  EXPECT_EQ(webhook_body(event),
            R"({"appid":"wx1","channel_id":7,"create_time":1714010400,"event":"subscribe","event_id":42,"key":"",)"
            R"("kind":"subscribe","openid":"o1","scene":"store-01","ticket":"T1"})");
  domain::WebhookJob click = event;
  click.channel_id.reset();
  click.kind = domain::EventKind::kOther;
  click.event = "CLICK";
  click.key = "菜单\"1\"";
  EXPECT_EQ(webhook_body(click),
            R"({"appid":"wx1","channel_id":null,"create_time":1714010400,"event":"CLICK","event_id":42,)"
            R"("key":"菜单\"1\"","kind":"other","openid":"o1","scene":"store-01","ticket":"T1"})");
}

}  // namespace
}  // namespace qrscene::service
