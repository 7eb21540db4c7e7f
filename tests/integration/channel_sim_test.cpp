// Channels as a marketer meets them, end to end against the simulator (issue 27): what a follower
// sees of a channel's replies, ...
#include "service_sim_fixture.h"

namespace qrscene {
namespace {

using ::testing::HasSubstr;

domain::ReplyChoice text_reply(std::string text) {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kText;
  r.text = std::move(text);
  return r;
}

domain::ReplyChoice news_reply(std::string url) {
  domain::ReplyChoice r;
  r.kind = domain::ReplyChoice::Kind::kNews;
  r.title = "{channel}";
  r.url = std::move(url);
  return r;
}

// A reply holding "]]>" reaches the follower whole (the reply is written as two CDATA sections,
// which WeChat's client joins), and {scene}, {channel} and {owner} are filled in a news article's
// URL too, percent-encoded so that they cannot change its shape.
TEST_F(ServiceSimTest, RepliesReachTheFollowerWholeAndANewsUrlCarriesTheScene) {
  start(config());
  service::ChannelSpec spec;
  spec.appid = kPlainApp;
  spec.name = "春季 海报";
  spec.owner = "小王&小李";
  spec.kind = domain::ChannelKind::kPermanent;
  spec.scene = "spring/2026";
  spec.string_scene = true;
  spec.on_subscribe = text_reply("a]]>b {scene}");
  spec.on_scan = news_reply("https://shop.example/landing?from={scene}&by={owner}&c={channel}");
  auto c = runtime_->channels().create(spec);
  ASSERT_TRUE(c) << c.error().to_string();
  const std::string u = user();
  const auto followed = act(sim_->platform().scan(kPlainApp, u, c->ticket, true));
  EXPECT_EQ(followed.delivery.outcome, sim::Delivery::Outcome::kReplied) << followed.delivery.problem;
  EXPECT_EQ(followed.delivery.user_sees, "a]]>b spring/2026");
  const auto scanned = act(sim_->platform().scan(kPlainApp, u, c->ticket, true));
  EXPECT_EQ(scanned.delivery.user_sees, "[news] 春季 海报");
  EXPECT_THAT(scanned.delivery.reply_xml,
              HasSubstr("<Url><![CDATA[https://shop.example/landing?from=spring%2F2026"
                        "&by=%E5%B0%8F%E7%8E%8B%26%E5%B0%8F%E6%9D%8E&c=%E6%98%A5%E5%AD%A3%20%E6%B5%B7%E6%8A%A5]]></Url>"));
}

}  // namespace
}  // namespace qrscene
