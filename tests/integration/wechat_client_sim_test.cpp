// The WeChat API client (src/wechat) over real HTTP (net::CurlTransport) against the simulator
// (src/sim): every call the client makes, as WeChat would answer it, including expiry of tokens
// held by two instances and datacube windows stitched over the simulator's own record.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>
#include <span>
#include <thread>

#include "base/encoding.h"
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
    server_ = std::make_unique<net::HttpServer>(io_, sim::simulator_server_options(), std::move(router));
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

  // A user who follows (without a QR code): a window of 3 customer-service messages in a minute.
  std::string new_follower() {
    auto users = sim_->platform().create_users(kAppId, 1);
    EXPECT_TRUE(users);
    const std::string openid = users->at(0).openid;
    EXPECT_TRUE(sim_->act(sim_->platform().follow(kAppId, openid, "")));
    return openid;
  }

  // A control API call of the simulator, over HTTP.
  nlohmann::json control_get(const std::string& path) {
    wechat::HttpCall c;
    c.url = base_ + path;
    auto r = transport_.send(c);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }

  // The simulator's pushes of `event` for `openid`, waiting up to 5 s for at least `n` of them
  // (a template send's report is pushed after its answer).
  std::vector<sim::PushRecord> pushes_of(const std::string& event, const std::string& openid, std::size_t n) {
    std::vector<sim::PushRecord> out;
    for (int i = 0; i < 500; ++i) {
      out.clear();
      for (const auto& r : sim_->pushes(kAppId)) {
        if (r.action.event == event && r.action.openid == openid) out.push_back(r);
      }
      if (out.size() >= n) break;
      std::this_thread::sleep_for(10ms);
    }
    return out;
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

// A fission poster: a PNG holding a personal QR code, uploaded, sent as an image message inside
// the customer-service window and refused outside it; unknown and 3-day-old media ids are 40007.
TEST_F(WechatClientSimTest, AnUploadedPosterIsSentAsAnImageMessageInsideTheWindowOnly) {
  auto accounts = clients(store_, wechat::TokenMode::kStable);
  wechat::ApiClient& api = **accounts->get(kAppId);
  const std::string url = "http://weixin.qq.com/q/02poster-of-alice";
  auto matrix = qr::encode(url, qr::Ecc::kMedium);
  ASSERT_TRUE(matrix);
  auto png = qr::encode_png(*qr::rasterize(*matrix, 300));
  ASSERT_TRUE(png);

  auto media = api.upload_media(wechat::MediaType::kImage, "poster-alice.png", *png);
  ASSERT_TRUE(media) << media.error().to_string();
  EXPECT_EQ(media->type, "image");
  EXPECT_EQ(media->created_at, kStart);
  EXPECT_EQ(media->expires_at, kStart + 259'200);

  const std::string alice = new_follower();  // a follow opens 3 messages in a minute
  wechat::CustomMessage m;
  m.touser = alice;
  m.msgtype = "image";
  m.media_id = media->media_id;
  auto sent = api.send_message(m);
  ASSERT_TRUE(sent) << sent.error().to_string();
  // The user got the very PNG: through the control API (base64), and its code still scans.
  const auto received = control_get(fmt::format("/sim/accounts/{}/users/{}/messages", kAppId, alice));
  ASSERT_TRUE(received.contains("messages")) << received.dump();
  ASSERT_EQ(received["messages"].size(), 1u) << received.dump();
  const auto& image = received["messages"][0];
  EXPECT_EQ(image["message"]["image"]["media_id"], media->media_id);
  ASSERT_TRUE(image.contains("image_base64")) << image.dump();
  auto bytes = decode_base64(image.value("image_base64", ""));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, *png);
  auto texts = qr::scan(*qr::decode_image(*bytes));
  ASSERT_TRUE(texts);
  EXPECT_EQ(texts->at(0), url);
  // And media/get gives it back with its type.
  const auto meta = control_get(fmt::format("/sim/accounts/{}/media/{}", kAppId, media->media_id));
  EXPECT_EQ(meta.value("content_type", ""), "image/png") << meta.dump();
  EXPECT_EQ(meta.value("expired", true), false);

  // An unknown media id inside the window: 40007, not_found.
  m.media_id = "no-such-media";
  auto unknown = api.send_message(m);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().detail, 40007);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  // The follow's window has closed a minute later: 45015.
  clock_.advance(61s);
  m.media_id = media->media_id;
  auto outside = api.send_message(m);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().detail, 45015);
  EXPECT_THAT(outside.error().message, HasSubstr("template message"));

  // Three days after the upload the id is gone, even inside a fresh 48-hour window.
  clock_.advance(std::chrono::seconds(259'200));
  ASSERT_TRUE(sim_->act(sim_->platform().text(kAppId, alice, "我的奖励呢？")));
  auto expired = api.send_message(m);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().detail, 40007);
  EXPECT_EQ(expired.error().code, ErrorCode::kNotFound);
  auto again = api.upload_media(wechat::MediaType::kImage, "poster-alice.png", *png);
  ASSERT_TRUE(again);
  m.media_id = again->media_id;
  EXPECT_TRUE(api.send_message(m));
  EXPECT_EQ(sim_->platform().received(kAppId, alice).size(), 2u);
}

// A reward announced by template message: no window needed, the rendered text received and the
// TEMPLATESENDJOBFINISH report pushed with the send's msgid; 43004, 40037; client_msg_id idempotent.
TEST_F(WechatClientSimTest, TemplateMessagesReachFollowersOutsideTheWindowAndReportBack) {
  auto accounts = clients(store_, wechat::TokenMode::kStable);
  wechat::ApiClient& api = **accounts->get(kAppId);
  ASSERT_TRUE(sim_->platform().add_template(
      kAppId, sim::SimTemplate{"TPL-reward", "奖励到账提醒",
                               "{{first.DATA}}\n活动：{{keyword1.DATA}}\n奖励：{{keyword2.DATA}}\n{{remark.DATA}}", "",
                               "", ""}));
  const std::string bob = new_follower();
  clock_.advance(72h);  // long outside every customer-service window
  wechat::CustomMessage text;
  text.touser = bob;
  text.content = "恭喜";
  ASSERT_EQ(api.send_message(text).error().detail, 45015);

  wechat::TemplateMessage t;
  t.touser = bob;
  t.template_id = "TPL-reward";
  t.url = "https://example.com/campaign/7";
  t.data["first"] = {"恭喜你完成助力任务", ""};
  t.data["keyword1"] = {"春季海报", "#173177"};
  t.data["keyword2"] = {"50元优惠券", ""};
  t.data["remark"] = {"点击领取", ""};
  auto msgid = api.send_template(t);
  ASSERT_TRUE(msgid) << msgid.error().to_string();
  EXPECT_GT(*msgid, 2'147'483'647);
  const auto got = sim_->platform().received(kAppId, bob);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message.value("msgtype", ""), "template");
  // .at(): a missing member throws, which the test reports, rather than asserting in the library.
  EXPECT_EQ(got[0].message.at("template").at("content"), "活动：春季海报\n奖励：50元优惠券");  // first/remark not shown
  EXPECT_EQ(got[0].message.at("template").at("msgid"), *msgid);
  const auto reports = pushes_of("TEMPLATESENDJOBFINISH", bob, 1);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_THAT(reports[0].action.xml, HasSubstr(fmt::format("<MsgID>{}</MsgID>", *msgid)));
  EXPECT_THAT(reports[0].action.xml, HasSubstr("<Status><![CDATA[success]]></Status>"));

  // A user who does not follow: 43004. An unknown template: 40037.
  auto stranger = sim_->platform().create_users(kAppId, 1);
  ASSERT_TRUE(stranger);
  t.touser = stranger->at(0).openid;
  auto refused = api.send_template(t);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().detail, 43004);
  t.touser = bob;
  t.template_id = "TPL-nope";
  EXPECT_EQ(api.send_template(t).error().detail, 40037);

  // The same client_msg_id twice: one message, one report, the same msgid.
  t.template_id = "TPL-reward";
  t.client_msg_id = "campaign-7/bob/reward";
  auto first = api.send_template(t);
  auto repeat = api.send_template(t);
  ASSERT_TRUE(first);
  ASSERT_TRUE(repeat);
  EXPECT_EQ(*first, *repeat);
  EXPECT_EQ(sim_->platform().received(kAppId, bob).size(), 2u);
  EXPECT_EQ(pushes_of("TEMPLATESENDJOBFINISH", bob, 2).size(), 2u);
  std::this_thread::sleep_for(100ms);  // a third report would have arrived by now
  EXPECT_EQ(pushes_of("TEMPLATESENDJOBFINISH", bob, 2).size(), 2u);
  // The account's templates as WeChat lists them.
  auto listed = api.call("GET", "/cgi-bin/template/get_all_private_template", "", "", true);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_THAT(*listed, HasSubstr("TPL-reward"));
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
