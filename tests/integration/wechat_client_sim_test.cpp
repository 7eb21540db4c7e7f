// The WeChat API client (src/wechat) over real HTTP (net::CurlTransport) against the simulator
// (src/sim): every call the client makes, as WeChat would answer it, including expiry of tokens
// held by two instances and datacube windows stitched over the simulator's own record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <set>
#include <span>
#include <thread>

#include "base/strings.h"

#include "net/asio.h"
#include "net/curl_transport.h"
#include "net/http_server.h"
#include "qr/qr_code.h"
#include "sim/simulator.h"
#include "wechat/account_clients.h"
#include "wechat/api_client.h"

namespace qrscene {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kAppId = "wxclientsim000001";
constexpr const char* kSecret = "client-sim-secret";
// 2024-04-25 10:00 Beijing time: after 08:00, so yesterday's figures are ready.
constexpr std::int64_t kStart = 1714010400;

class WechatClientSimTest : public ::testing::Test {
 protected:
  WechatClientSimTest() {
    sim::SimulatorOptions o;
    o.seed = 11;
    sim_ = std::make_unique<sim::Simulator>(clock_, sim_transport_, o, &clock_);
    sim::SimAccount a;
    a.appid = kAppId;
    a.secret = kSecret;
    a.token = "clienttoken";
    sim_->add_account(a);
    net::Router router;
    sim_->add_routes(router);
    server_ = std::make_unique<net::HttpServer>(io_, net::HttpServerOptions{}, std::move(router));
    EXPECT_TRUE(server_->start());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    base_ = fmt::format("http://127.0.0.1:{}", server_->port());
  }
  ~WechatClientSimTest() override {
    server_->stop();
    for (auto& t : threads_) t.join();
  }

  wechat::ApiClientOptions client_options() const {
    wechat::ApiClientOptions o;
    o.api_base = base_;
    o.mp_base = base_;
    o.sleep = [](std::chrono::milliseconds) {};
    return o;
  }

  std::unique_ptr<wechat::AccountClients> clients(wechat::TokenStore& store, wechat::TokenMode mode) {
    auto c = std::make_unique<wechat::AccountClients>(transport_, store, clock_, client_options());
    EXPECT_TRUE(c->add({kAppId, Secret(kSecret), mode}));
    return c;
  }

  // A follower who came through `ticket`.
  std::string follower(const std::string& ticket) {
    auto users = sim_->platform().create_users(kAppId, 1);
    EXPECT_TRUE(users);
    const std::string openid = users->at(0).openid;
    EXPECT_TRUE(sim_->act(sim_->platform().scan(kAppId, openid, ticket, true)));
    return openid;
  }

  FakeClock clock_{kStart};
  net::CurlTransport sim_transport_;
  net::CurlTransport transport_;
  std::unique_ptr<sim::Simulator> sim_;
  asio::io_context io_;
  std::unique_ptr<net::HttpServer> server_;
  std::vector<std::thread> threads_;
  std::string base_;
  wechat::MemoryTokenStore store_;
};

TEST_F(WechatClientSimTest, QrCodesOfAllFourKindsAndTheirImages) {
  auto accounts = clients(store_, wechat::TokenMode::kStable);
  wechat::ApiClient& api = **accounts->get(kAppId);
  std::vector<wechat::QrRequest> requests(4);
  requests[0].scene_id = 4'000'000'000;  // above 2^31-1: accepted by WeChat, with a warning from us
  requests[0].expire_seconds = 600;
  requests[1].scene_str = "poster/2024 spring+summer";
  requests[2].kind = wechat::QrKind::kPermanent;
  requests[2].scene_id = 100'000;
  requests[3].kind = wechat::QrKind::kPermanent;
  requests[3].scene_str = "store-01";
  for (const auto& r : requests) {
    auto t = api.create_qrcode(r);
    ASSERT_TRUE(t) << t.error().to_string();
    auto ticket = sim_->platform().ticket(t->ticket);
    ASSERT_TRUE(ticket) << "the simulator does not know the ticket it handed out";
    if (r.kind == wechat::QrKind::kTemporary) {
      EXPECT_EQ(t->expires_at, kStart + r.expire_seconds.value_or(wechat::kDefaultExpireSeconds));
    } else {
      EXPECT_EQ(t->expires_at, 0);
    }
    // The image comes from the mp host, with the ticket (which has '+', '/' or '=') encoded once;
    // the simulator answers 404 to a ticket it cannot match.
    auto image = api.download_qrcode(t->ticket);
    ASSERT_TRUE(image) << image.error().to_string();
    EXPECT_EQ(image->content_type, "image/jpg");
    auto gray = qr::decode_image(image->bytes);
    ASSERT_TRUE(gray) << gray.error().to_string();
    auto texts = qr::scan(*gray);
    ASSERT_TRUE(texts) << texts.error().to_string();
    EXPECT_EQ(texts->at(0), t->url);
  }
  EXPECT_THAT(api.create_qrcode(requests[0])->warning, HasSubstr("2^31-1"));
  // The same permanent scene gives the same ticket (the simulator's default, section 2.6).
  EXPECT_EQ(api.create_qrcode(requests[3])->ticket, api.create_qrcode(requests[3])->ticket);

  // An expired temporary code: WeChat's 404 becomes kNotFound.
  auto short_lived = requests[0];
  short_lived.expire_seconds = 60;
  auto t = api.create_qrcode(short_lived);
  ASSERT_TRUE(t);
  clock_.advance(61s);
  auto gone = api.download_qrcode(t->ticket);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(WechatClientSimTest, UsersTagsMenusAndMessages) {
  auto accounts = clients(store_, wechat::TokenMode::kStable);
  wechat::ApiClient& api = **accounts->get(kAppId);
  wechat::QrRequest r;
  r.scene_id = 42;
  auto t = api.create_qrcode(r);
  ASSERT_TRUE(t);
  std::vector<std::string> openids;
  for (int i = 0; i < 130; ++i) openids.push_back(follower(t->ticket));

  auto info = api.user_info(openids[0]);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_TRUE(info->subscribe);
  EXPECT_EQ(info->subscribe_scene, "ADD_SCENE_QR_CODE");
  EXPECT_EQ(info->qr_scene, 42);

  auto batch = api.users_info(openids);  // two batchget calls: the simulator refuses more than 100
  ASSERT_TRUE(batch) << batch.error().to_string();
  ASSERT_EQ(batch->size(), 130u);
  EXPECT_EQ(batch->back().openid, openids.back());

  auto all = api.followers();
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->size(), 130u);

  auto tag = api.create_tag("扫码-门店");
  ASSERT_TRUE(tag) << tag.error().to_string();
  ASSERT_TRUE(api.tag_users(tag->id, openids));  // three batchtagging calls: more than 50 is 40032
  auto tags = api.tags();
  ASSERT_TRUE(tags);
  bool found = false;
  for (const auto& x : *tags) {
    if (x.id == tag->id) {
      found = true;
      EXPECT_EQ(x.count, 130);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(*api.user_tags(openids[77]), std::vector<std::int64_t>{tag->id});
  ASSERT_TRUE(api.untag_users(tag->id, std::span(openids).first(10)));
  EXPECT_TRUE(api.user_tags(openids[3])->empty());
  EXPECT_TRUE(api.update_tag(tag->id, "门店"));
  auto duplicate = api.create_tag("门店");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().detail, 45157);

  ASSERT_TRUE(api.create_menu(R"({"button":[{"type":"click","name":"今日","key":"TODAY"}]})"));
  EXPECT_THAT(*api.menu(), HasSubstr("TODAY"));
  ASSERT_TRUE(api.delete_menu());
  EXPECT_EQ(api.menu().error().detail, 46003);

  // A scan opens a window of 3 messages in a minute (section 7.7).
  wechat::CustomMessage m;
  m.touser = openids[5];
  m.content = "欢迎";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(api.send_message(m));
  auto fourth = api.send_message(m);
  ASSERT_FALSE(fourth);
  EXPECT_EQ(fourth.error().detail, 45047);
  ASSERT_EQ(sim_->platform().received(kAppId, openids[5]).size(), 3u);
}

TEST_F(WechatClientSimTest, ATokenReplacedByAnotherInstanceIsRefreshedOnceAndTheCallSucceeds) {
  // Classic mode: instance B fetching a token ends A's five minutes later (section 1.1). A's next
  // call gets 40001, refreshes once and retries with the new token.
  wechat::MemoryTokenStore store_a;
  wechat::MemoryTokenStore store_b;
  auto a = clients(store_a, wechat::TokenMode::kClassic);
  auto b = clients(store_b, wechat::TokenMode::kClassic);
  wechat::ApiClient& api_a = **a->get(kAppId);
  ASSERT_TRUE(api_a.tags());
  const auto first = *store_a.get(kAppId);
  ASSERT_TRUE(first);
  ASSERT_TRUE((*b->get(kAppId))->tokens().token());
  clock_.advance(301s);
  const auto before = api_a.tokens().requests();
  auto tags = api_a.tags();
  ASSERT_TRUE(tags) << tags.error().to_string();
  EXPECT_EQ(api_a.tokens().requests(), before + 1);
  EXPECT_NE((*store_a.get(kAppId))->value, first->value);
}

TEST_F(WechatClientSimTest, WrongCredentialsAndUnknownUsersSayWhatToDo) {
  wechat::AccountClients accounts(transport_, store_, clock_, client_options());
  ASSERT_TRUE(accounts.add({kAppId, Secret("not-the-secret"), wechat::TokenMode::kStable}));
  auto tags = (*accounts.get(kAppId))->tags();
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().detail, 40125);
  EXPECT_THAT(tags.error().message, HasSubstr("check the account's appid and secret"));

  auto good = clients(store_, wechat::TokenMode::kStable);
  auto info = (*good->get(kAppId))->user_info("o_not_a_follower");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().detail, 40003);
}

TEST_F(WechatClientSimTest, DatacubeOverThreeWindowsMatchesWhatUsersDid) {
  auto accounts = clients(store_, wechat::TokenMode::kStable);
  wechat::ApiClient& api = **accounts->get(kAppId);
  wechat::QrRequest r;
  r.kind = wechat::QrKind::kPermanent;
  r.scene_id = 9;
  auto t = api.create_qrcode(r);
  ASSERT_TRUE(t);
  // Follows on three different days, 8 days apart, so that they fall into different windows.
  int follows = 0;
  for (int day = 0; day < 3; ++day) {
    for (int i = 0; i <= day; ++i, ++follows) follower(t->ticket);
    clock_.advance(std::chrono::hours(24 * 8));
  }
  const std::int64_t today = (clock_.unix_seconds() + 8 * 3600) / 86400;
  auto rows = api.user_summary(format_iso_date(today - 30), format_iso_date(today - 1));
  ASSERT_TRUE(rows) << rows.error().to_string();
  std::int64_t from_qr = 0;
  std::set<std::string> days;
  for (const auto& row : *rows) {
    days.insert(row.ref_date);
    if (row.user_source == 30) from_qr += row.new_user;
  }
  EXPECT_EQ(from_qr, follows);
  EXPECT_EQ(days.size(), 30u);  // five windows stitched, no day lost or repeated
  auto cumulate = api.user_cumulate(format_iso_date(today - 30), format_iso_date(today - 1));
  ASSERT_TRUE(cumulate);
  ASSERT_EQ(cumulate->size(), 30u);
  EXPECT_EQ(cumulate->back().cumulate_user, follows);
}

}  // namespace
}  // namespace qrscene
