// The API client against a scripted transport: argument checks before any request, the shape of
// every request, retries and their limits, token errors, chunking and paging — and one test for
// each defect seen in other WeChat clients (the issue's list).
#include "wechat/api_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "support/scripted_transport.h"
#include "wechat/account_clients.h"

namespace qrscene::wechat {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testing::json_reply;
using testing::ScriptedTransport;
using ::testing::HasSubstr;

// The path of a URL after the host ("http://api.test/cgi-bin/x?y" -> "/cgi-bin/x").
std::string path_of(const std::string& url) {
  const auto start = url.find('/', url.find("//") + 2);
  return url.substr(start, url.find('?') == std::string::npos ? std::string::npos : url.find('?') - start);
}

std::string token_in(const std::string& url) {
  const auto at = url.find("access_token=");
  if (at == std::string::npos) return "";
  return url.substr(at + 13, url.find('&', at) == std::string::npos ? std::string::npos : url.find('&', at) - at - 13);
}

class ApiClientTest : public ::testing::Test {
 protected:
  ApiClientTest() {
    // The token endpoint hands out T1, T2, ...; every other path goes to `api`.
    transport_.script([this](const HttpCall& c) -> Result<HttpReply> {
      if (path_of(c.url) == "/cgi-bin/stable_token") {
        return json_reply(fmt::format(R"({{"access_token":"T{}","expires_in":7200}})", ++tokens_issued_));
      }
      return api(c);
    });
    TokenProviderOptions t;
    t.api_base = "https://api.test";
    t.appid = "wxclienttest";
    t.secret = Secret("secret");
    tokens_ = std::make_unique<TokenProvider>(transport_, store_, clock_, t);
    ApiClientOptions o;
    o.api_base = "https://api.test";
    o.mp_base = "https://mp.test";
    o.sleep = [this](std::chrono::milliseconds d) { slept_.push_back(d); };
    client_ = std::make_unique<ApiClient>(transport_, *tokens_, clock_, o);
  }

  // Calls other than the token endpoint.
  std::vector<HttpCall> api_calls() const {
    std::vector<HttpCall> out;
    for (auto& c : transport_.calls()) {
      if (path_of(c.url) != "/cgi-bin/stable_token") out.push_back(c);
    }
    return out;
  }

  std::function<Result<HttpReply>(const HttpCall&)> api = [](const HttpCall&) {
    return Result<HttpReply>(json_reply(R"({"errcode":0,"errmsg":"ok"})"));
  };
  ScriptedTransport transport_;
  std::atomic<int> tokens_issued_{0};
  MemoryTokenStore store_;
  FakeClock clock_{1'714'010'400};
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<ApiClient> client_;
  std::vector<std::chrono::milliseconds> slept_;
};

// ---- QR codes ----

TEST(CheckQrRequest, BuildsTheFourKindsWithExpireAlwaysSent) {
  QrRequest r;
  r.scene_id = 123;
  auto c = check_qr_request(r);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(Json::parse(c->body),
            Json::parse(R"({"expire_seconds":2592000,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":123}}})"));
  r = {};
  r.scene_str = "store-01";
  r.expire_seconds = 300;
  EXPECT_EQ(Json::parse(check_qr_request(r)->body),
            Json::parse(R"({"expire_seconds":300,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"store-01"}}})"));
  r = {};
  r.kind = QrKind::kPermanent;
  r.scene_id = 100000;
  EXPECT_EQ(Json::parse(check_qr_request(r)->body),
            Json::parse(R"({"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100000}}})"));
  r = {};
  r.kind = QrKind::kPermanent;
  r.scene_str = std::string(64, 'x');
  EXPECT_EQ(check_qr_request(r)->action_name, "QR_LIMIT_STR_SCENE");
}

TEST(CheckQrRequest, RefusesOutOfRangeScenesInsteadOfChangingTheType) {
  // EasyWeChat 5 / PowerWeChat turn an out-of-range scene into a string scene (or a temporary
  // code into a permanent one); here every such request is an error that names the range.
  const auto refused = [](QrKind kind, std::optional<std::int64_t> id, std::optional<std::string> str,
                          std::optional<std::int64_t> expire = std::nullopt) {
    QrRequest r;
    r.kind = kind;
    r.scene_id = id;
    r.scene_str = std::move(str);
    r.expire_seconds = expire;
    auto c = check_qr_request(r);
    return c ? std::string() : c.error().message;
  };
  EXPECT_THAT(refused(QrKind::kTemporary, 0, {}), HasSubstr("1..4294967295"));
  EXPECT_THAT(refused(QrKind::kTemporary, -5, {}), HasSubstr("out of range"));
  EXPECT_THAT(refused(QrKind::kTemporary, 4'294'967'296, {}), HasSubstr("out of range"));
  EXPECT_THAT(refused(QrKind::kPermanent, 0, {}), HasSubstr("1..100000"));
  EXPECT_THAT(refused(QrKind::kPermanent, 100'001, {}), HasSubstr("1..100000"));
  EXPECT_THAT(refused(QrKind::kTemporary, {}, std::string()), HasSubstr("empty"));
  EXPECT_THAT(refused(QrKind::kPermanent, {}, std::string(65, 'x')), HasSubstr("65 bytes"));
  // 22 characters but 66 bytes: the limit is in bytes.
  std::string chinese;
  for (int i = 0; i < 22; ++i) chinese += "\xe4\xb8\xad";
  EXPECT_THAT(refused(QrKind::kTemporary, {}, chinese), HasSubstr("66 bytes"));
  EXPECT_THAT(refused(QrKind::kTemporary, {}, std::string("a\xff")), HasSubstr("UTF-8"));
  EXPECT_THAT(refused(QrKind::kTemporary, 1, std::string("x")), HasSubstr("exactly one"));
  EXPECT_THAT(refused(QrKind::kTemporary, {}, {}), HasSubstr("exactly one"));
  EXPECT_THAT(refused(QrKind::kTemporary, 1, {}, 0), HasSubstr("expire_seconds 0"));
  EXPECT_THAT(refused(QrKind::kTemporary, 1, {}, 2'592'001), HasSubstr("1..2592000"));
  EXPECT_THAT(refused(QrKind::kPermanent, 1, {}, 60), HasSubstr("temporary codes only"));
}

TEST_F(ApiClientTest, AnInvalidQrRequestSendsNothing) {
  QrRequest r;
  r.kind = QrKind::kPermanent;
  r.scene_id = 100'001;
  auto t = client_->create_qrcode(r);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(transport_.count(), 0u);  // not even a token request
}

TEST_F(ApiClientTest, WarnsAboveTheSignedRangeButSendsTheSameType) {
  api = [](const HttpCall&) {
    return Result<HttpReply>(json_reply(R"({"ticket":"gQ+/=","expire_seconds":600,"url":"http://weixin.qq.com/q/x"})"));
  };
  QrRequest r;
  r.scene_id = 3'000'000'000;
  r.expire_seconds = 600;
  auto t = client_->create_qrcode(r);
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_THAT(t->warning, HasSubstr("2^31-1"));
  EXPECT_EQ(t->ticket, "gQ+/=");
  EXPECT_EQ(t->expires_at, 1'714'010'400 + 600);
  const auto sent = Json::parse(api_calls().at(0).body);
  EXPECT_EQ(sent["action_name"], "QR_SCENE");
  EXPECT_EQ(sent["action_info"]["scene"]["scene_id"], 3'000'000'000);
  EXPECT_EQ(api_calls().at(0).url, "https://api.test/cgi-bin/qrcode/create?access_token=T1");
}

TEST_F(ApiClientTest, ShowqrcodeUrlIsOnTheMpHostWithTheTicketEncodedOnce) {
  // silenceper/wechat and co-wechat-api put the ticket in the URL raw ('+' becomes a space);
  // wechatpy #113 encoded it twice. Both must give exactly one level of encoding.
  const std::string want = "https://mp.test/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRw%2B%2F%3D%3D";
  EXPECT_EQ(client_->showqrcode_url("gQH47joAAAAAAAAAASxodHRw+/=="), want);
  EXPECT_EQ(client_->showqrcode_url("gQH47joAAAAAAAAAASxodHRw%2B%2F%3D%3D"), want);
}

TEST_F(ApiClientTest, DownloadsTheImageFromTheMpHostNotTheApiHost) {
  // node-webot #39 fetched showqrcode from api.weixin.qq.com.
  api = [](const HttpCall&) {
    HttpReply r;
    r.status = 200;
    r.content_type = "image/jpg";
    r.body = std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg body";
    return Result<HttpReply>(r);
  };
  auto image = client_->download_qrcode("t+1");
  ASSERT_TRUE(image) << image.error().to_string();
  EXPECT_EQ(image->content_type, "image/jpg");
  ASSERT_EQ(transport_.count(), 1u);  // no token needed
  EXPECT_EQ(transport_.calls()[0].url, "https://mp.test/cgi-bin/showqrcode?ticket=t%2B1");
}

TEST_F(ApiClientTest, ImageErrorsAreErrors) {
  HttpReply answer;
  api = [&answer](const HttpCall&) { return Result<HttpReply>(answer); };
  answer.status = 404;
  auto image = client_->download_qrcode("gone");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(image.error().message, HasSubstr("expired"));

  answer.status = 200;
  answer.content_type = "text/html";
  answer.body = "<html>maintenance</html>";
  image = client_->download_qrcode("t");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(image.error().message, HasSubstr("not a JPEG or PNG"));

  answer.content_type = "text/plain";  // WxJava: a text/plain answer is a JSON error
  answer.body = R"({"errcode":40053,"errmsg":"invalid action info rid: 1-2-3"})";
  image = client_->download_qrcode("t");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().detail, 40053);

  EXPECT_FALSE(client_->download_qrcode(""));
}

// ---- tokens inside calls ----

TEST_F(ApiClientTest, ATokenErrorRefreshesOnceAndRetriesWithTheNewToken) {
  // EasyWeChat 6 retried with the stale token still in the URL.
  int n = 0;
  api = [&n](const HttpCall&) {
    return Result<HttpReply>(json_reply(++n == 1 ? R"({"errcode":40001,"errmsg":"invalid credential rid: 1"})"
                                                 : R"({"tags":[{"id":100,"name":"vip","count":2}]})"));
  };
  auto tags = client_->tags();
  ASSERT_TRUE(tags) << tags.error().to_string();
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].name, "vip");
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(token_in(calls[0].url), "T1");
  EXPECT_EQ(token_in(calls[1].url), "T2");
  // Stable mode: the refresh after a failure is forced, or WeChat would hand back T1 again.
  EXPECT_THAT(transport_.calls_to("stable_token").back().body, HasSubstr(R"("force_refresh":true)"));
}

TEST_F(ApiClientTest, ATokenErrorIsRetriedOnceNeverInALoop) {
  // wechatpy retried token errors without a bound.
  for (const int errcode : {40001, 40014, 42001}) {
    const std::size_t before = transport_.count();
    api = [errcode](const HttpCall&) {
      return Result<HttpReply>(json_reply(fmt::format(R"({{"errcode":{},"errmsg":"token rid: 1"}})", errcode)));
    };
    auto info = client_->user_info("o1");
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().detail, errcode);
    EXPECT_EQ(info.error().code, ErrorCode::kUnauthenticated);
    // The first call may fetch a token; then: call, refresh, call.
    EXPECT_LE(transport_.count() - before, 4u);
    EXPECT_EQ(api_calls().size() % 2, 0u);
  }
  EXPECT_EQ(api_calls().size(), 6u);
}

TEST_F(ApiClientTest, ATokenErrorOfAMessageSendIsStillRetriedOnce) {
  // WeChat refused the stale token before doing anything, so sending again is safe.
  int n = 0;
  api = [&n](const HttpCall&) {
    return Result<HttpReply>(json_reply(++n == 1 ? R"({"errcode":42001,"errmsg":"access_token expired rid: 1"})"
                                                 : R"({"errcode":0,"errmsg":"ok"})"));
  };
  CustomMessage m;
  m.touser = "o1";
  m.content = "hi";
  EXPECT_TRUE(client_->send_message(m));
  EXPECT_EQ(api_calls().size(), 2u);
}

// ---- retries ----

TEST_F(ApiClientTest, SystemBusyIsRetriedWithBackoffForIdempotentCalls) {
  int n = 0;
  api = [&n](const HttpCall&) {
    return Result<HttpReply>(json_reply(++n < 3 ? R"({"errcode":-1,"errmsg":"system error rid: 1"})"
                                                : R"({"subscribe":1,"openid":"o1","qr_scene":7})"));
  };
  auto info = client_->user_info("o1");
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->qr_scene, 7);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(slept_, (std::vector<std::chrono::milliseconds>{200ms, 400ms}));
}

TEST_F(ApiClientTest, RetriesStopAtTheLimit) {
  int n = 0;
  api = [&n](const HttpCall&) -> Result<HttpReply> {
    ++n;
    return unexpected(ErrorCode::kUnavailable, "connection refused");
  };
  auto info = client_->user_info("o1");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(info.error().message, HasSubstr("after 3 tries"));
  EXPECT_EQ(n, 3);
}

TEST_F(ApiClientTest, ServerErrorsAndTimeoutsAreRetriedForIdempotentCalls) {
  int n = 0;
  api = [&n](const HttpCall&) -> Result<HttpReply> {
    ++n;
    if (n == 1) return json_reply("<html>502</html>", 502);
    if (n == 2) return unexpected(ErrorCode::kDeadlineExceeded, "timed out");
    return json_reply(R"({"errcode":0,"errmsg":"ok"})");
  };
  std::vector<std::string> openids{"o1", "o2"};
  EXPECT_TRUE(client_->tag_users(100, openids));
  EXPECT_EQ(n, 3);
}

// Found by the WeChat-faults integration test: a cut-off "ok" once counted as a tagging done.
TEST_F(ApiClientTest, ACutOffOrGarbledAnswerIsNoSuccess) {
  for (const char* body : {R"({"errcode":0,"errmsg":"ok","access_tok)", "", "ok", "<html>busy</html>", "[]"}) {
    api = [body](const HttpCall&) -> Result<HttpReply> { return json_reply(body); };
    std::vector<std::string> openids{"o1"};
    auto done = client_->tag_users(100, openids);
    ASSERT_FALSE(done) << body;
    EXPECT_EQ(done.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(done.error().message.find("not a JSON object"), std::string::npos) << done.error().message;
  }
}

TEST_F(ApiClientTest, CallsWithSideEffectsAreNeverRetriedBlindly) {
  int n = 0;
  api = [&n](const HttpCall&) -> Result<HttpReply> {
    ++n;
    return unexpected(ErrorCode::kDeadlineExceeded, "timed out after 5000 ms");
  };
  CustomMessage m;
  m.touser = "o1";
  m.content = "hi";
  auto sent = client_->send_message(m);
  ASSERT_FALSE(sent);
  EXPECT_THAT(sent.error().message, HasSubstr("not retried"));
  EXPECT_EQ(n, 1);

  n = 0;
  api = [&n](const HttpCall&) {
    ++n;
    return Result<HttpReply>(json_reply(R"({"errcode":-1,"errmsg":"system error rid: 1"})"));
  };
  auto tag = client_->create_tag("vip");
  ASSERT_FALSE(tag);
  EXPECT_EQ(tag.error().detail, -1);
  EXPECT_THAT(tag.error().message, HasSubstr("not retried"));
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(ApiClientTest, OtherErrcodesAreReturnedAtOnceWithTheCallNamed) {
  int n = 0;
  api = [&n](const HttpCall&) {
    ++n;
    return Result<HttpReply>(json_reply(R"({"errcode":45009,"errmsg":"reach max api daily quota limit rid: 1"})"));
  };
  auto page = client_->follower_page();
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, ErrorCode::kResourceExhausted);
  EXPECT_THAT(page.error().message, HasSubstr("user/get: "));
  EXPECT_THAT(page.error().message, HasSubstr("quota"));
  EXPECT_EQ(n, 1);
}

// ---- chunking and paging ----

TEST_F(ApiClientTest, BatchgetIsChunkedAtOneHundredAndKeepsTheOrder) {
  std::vector<std::size_t> sizes;
  api = [&sizes](const HttpCall& c) {
    const auto list = Json::parse(c.body)["user_list"];
    sizes.push_back(list.size());
    Json out = Json::array();
    for (const auto& u : list) out.push_back({{"subscribe", 1}, {"openid", u["openid"]}});
    return Result<HttpReply>(json_reply(Json{{"user_info_list", out}}.dump()));
  };
  std::vector<std::string> openids;
  for (int i = 0; i < 250; ++i) openids.push_back(fmt::format("o{}", i));
  auto users = client_->users_info(openids);
  ASSERT_TRUE(users) << users.error().to_string();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{100, 100, 50}));
  ASSERT_EQ(users->size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ((*users)[static_cast<std::size_t>(i)].openid, openids[static_cast<std::size_t>(i)]);
  EXPECT_TRUE(client_->users_info({})->empty());
}

TEST_F(ApiClientTest, BatchtaggingIsChunkedAtFiftyAndSaysHowFarItGot) {
  std::vector<std::size_t> sizes;
  api = [&sizes](const HttpCall& c) {
    const auto j = Json::parse(c.body);
    sizes.push_back(j["openid_list"].size());
    EXPECT_EQ(j["tagid"], 134);
    return Result<HttpReply>(json_reply(sizes.size() == 3 ? R"({"errcode":45059,"errmsg":"too many tags rid: 1"})"
                                                          : R"({"errcode":0,"errmsg":"ok"})"));
  };
  std::vector<std::string> openids;
  for (int i = 0; i < 120; ++i) openids.push_back(fmt::format("o{}", i));
  auto done = client_->tag_users(134, openids);
  ASSERT_FALSE(done);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{50, 50, 20}));
  EXPECT_EQ(done.error().detail, 45059);
  EXPECT_THAT(done.error().message, HasSubstr("after 100 of 120"));
  EXPECT_FALSE(client_->tag_users(2, openids));  // WeChat's own tag
}

TEST_F(ApiClientTest, FollowersWalkEveryPageAndStopAtThePageWithoutData) {
  std::vector<std::string> asked;
  api = [&asked](const HttpCall& c) {
    const auto at = c.url.find("next_openid=");
    const std::string next = c.url.substr(at + 12);
    asked.push_back(next);
    if (next.empty()) return Result<HttpReply>(json_reply(R"({"total":3,"count":2,"data":{"openid":["a","b"]},"next_openid":"b"})"));
    if (next == "b") return Result<HttpReply>(json_reply(R"({"total":3,"count":1,"data":{"openid":["c"]},"next_openid":"c"})"));
    // WeChat's last page: no data, and still a next_openid.
    return Result<HttpReply>(json_reply(R"({"total":3,"count":0,"next_openid":"c"})"));
  };
  auto all = client_->followers();
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(*all, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(asked, (std::vector<std::string>{"", "b", "c"}));
}

TEST_F(ApiClientTest, DatacubeAsksInSevenDayWindowsAndStitchesThem) {
  std::vector<std::pair<std::string, std::string>> windows;
  api = [&windows](const HttpCall& c) {
    const auto j = Json::parse(c.body);
    windows.emplace_back(j["begin_date"], j["end_date"]);
    Json list = Json::array();
    list.push_back({{"ref_date", j["begin_date"]}, {"user_source", 30}, {"new_user", 5}, {"cancel_user", 1}});
    return Result<HttpReply>(json_reply(Json{{"list", list}}.dump()));
  };
  auto rows = client_->user_summary("2024-02-25", "2024-03-14");
  ASSERT_TRUE(rows) << rows.error().to_string();
  EXPECT_EQ(windows, (std::vector<std::pair<std::string, std::string>>{
                         {"2024-02-25", "2024-03-02"}, {"2024-03-03", "2024-03-09"}, {"2024-03-10", "2024-03-14"}}));
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[2].ref_date, "2024-03-10");
  EXPECT_EQ((*rows)[2].new_user, 5);
  EXPECT_EQ(api_calls()[0].url, "https://api.test/datacube/getusersummary?access_token=T1");

  const std::size_t before = transport_.count();
  EXPECT_FALSE(client_->user_summary("2024-03-14", "2024-03-01"));
  EXPECT_FALSE(client_->user_summary("2024-02-30", "2024-03-01"));
  EXPECT_FALSE(client_->user_cumulate("yesterday", "2024-03-01"));
  EXPECT_EQ(transport_.count(), before);
}

// ---- other calls' requests ----

TEST_F(ApiClientTest, RequestsHaveWeChatsShape) {
  api = [](const HttpCall& c) {
    if (path_of(c.url) == "/cgi-bin/tags/create") return Result<HttpReply>(json_reply(R"({"tag":{"id":134,"name":"广东"}})"));
    if (path_of(c.url) == "/cgi-bin/tags/getidlist") return Result<HttpReply>(json_reply(R"({"tagid_list":[134,2]})"));
    if (path_of(c.url) == "/cgi-bin/menu/get") return Result<HttpReply>(json_reply(R"({"menu":{"button":[]}})"));
    return Result<HttpReply>(json_reply(R"({"errcode":0,"errmsg":"ok"})"));
  };
  auto tag = client_->create_tag("广东");
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->id, 134);
  EXPECT_EQ(*client_->user_tags("o1"), (std::vector<std::int64_t>{134, 2}));
  EXPECT_TRUE(client_->update_tag(134, "广东人"));
  EXPECT_TRUE(client_->delete_tag(134));
  EXPECT_TRUE(client_->create_menu(R"({"button":[{"type":"click","name":"今日","key":"V1001"}]})"));
  EXPECT_THAT(*client_->menu(), HasSubstr("\"menu\""));
  EXPECT_TRUE(client_->delete_menu());
  CustomMessage m;
  m.touser = "o1";
  m.msgtype = "news";
  m.articles = {CustomArticle{"Title", "Desc", "https://example.com", ""}};
  EXPECT_TRUE(client_->send_message(m));
  EXPECT_TRUE(client_->user_info("o 1/2", "en"));

  const auto calls = api_calls();
  std::vector<std::string> seen;
  for (const auto& c : calls) seen.push_back(c.method + " " + path_of(c.url));
  EXPECT_EQ(seen, (std::vector<std::string>{"POST /cgi-bin/tags/create", "POST /cgi-bin/tags/getidlist",
                                            "POST /cgi-bin/tags/update", "POST /cgi-bin/tags/delete",
                                            "POST /cgi-bin/menu/create", "GET /cgi-bin/menu/get",
                                            "GET /cgi-bin/menu/delete", "POST /cgi-bin/message/custom/send",
                                            "GET /cgi-bin/user/info"}));
  EXPECT_EQ(Json::parse(calls[0].body), Json::parse(R"({"tag":{"name":"广东"}})"));
  EXPECT_EQ(Json::parse(calls[2].body), Json::parse(R"({"tag":{"id":134,"name":"广东人"}})"));
  EXPECT_EQ(Json::parse(calls[7].body)["news"]["articles"][0]["url"], "https://example.com");
  EXPECT_THAT(calls[8].url, HasSubstr("&openid=o%201%2F2&lang=en"));
}

TEST_F(ApiClientTest, BadArgumentsSendNothing) {
  EXPECT_FALSE(client_->create_tag(""));
  EXPECT_FALSE(client_->create_tag(std::string(31, 'x')));
  EXPECT_FALSE(client_->delete_tag(1));
  EXPECT_FALSE(client_->user_info(""));
  EXPECT_FALSE(client_->create_menu("not json"));
  EXPECT_FALSE(client_->create_menu(R"({"button":[]})"));
  CustomMessage m;
  m.touser = "o1";
  EXPECT_FALSE(client_->send_message(m));  // a text without content
  m.msgtype = "voice";
  EXPECT_FALSE(client_->send_message(m));
  EXPECT_EQ(transport_.count(), 0u);
}

// ---- temporary media and template messages ----

TEST_F(ApiClientTest, UploadMediaSendsOneMultipartFileAndReadsTheId) {
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\r\n--x\xff", 7);
  api = [](const HttpCall& c) {
    if (c.url.find("type=thumb") != std::string::npos) {
      return Result<HttpReply>(json_reply(R"({"type":"thumb","thumb_media_id":"T1","created_at":1714010400})"));
    }
    return Result<HttpReply>(json_reply(R"({"type":"image","media_id":"M1","created_at":1714010400})"));
  };
  auto m = client_->upload_media(MediaType::kImage, "海报 1.PNG", png);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->media_id, "M1");
  EXPECT_EQ(m->type, "image");
  EXPECT_EQ(m->created_at, 1714010400);
  EXPECT_EQ(m->expires_at, 1714010400 + 259'200);
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(path_of(calls[0].url), "/cgi-bin/media/upload");
  EXPECT_THAT(calls[0].url, HasSubstr("&type=image"));
  EXPECT_EQ(calls[0].timeout, 60'000ms);  // an upload gets longer than a JSON call
  ASSERT_EQ(calls[0].headers.size(), 1u);
  EXPECT_EQ(calls[0].headers[0].first, "Content-Type");
  const std::string& ct = calls[0].headers[0].second;
  ASSERT_EQ(ct.rfind("multipart/form-data; boundary=", 0), 0u) << ct;
  const std::string boundary = ct.substr(ct.find('=') + 1);
  EXPECT_EQ(calls[0].body, "--" + boundary +
                               "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"海报 1.PNG\"\r\n"
                               "Content-Type: image/png\r\n\r\n" +
                               png + "\r\n--" + boundary + "--\r\n");
  EXPECT_EQ(png.find(boundary), std::string::npos);
  // A thumb is answered with thumb_media_id.
  auto thumb = client_->upload_media(MediaType::kThumb, "t.jpg", "\xff\xd8\xff");
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->media_id, "T1");
}

TEST_F(ApiClientTest, AMediaFileIsCheckedBeforeItIsSent) {
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "poster.txt", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "poster", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "a\"b.png", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "a\r\nX: y.png", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kImage, "poster.png", ""));
  EXPECT_FALSE(client_->upload_media(MediaType::kThumb, "t.png", "x"));
  EXPECT_FALSE(client_->upload_media(MediaType::kThumb, "t.jpg", std::string(64 * 1024 + 1, 'j')));
  auto big = client_->upload_media(MediaType::kVoice, "v.mp3", std::string(2 * 1024 * 1024 + 1, 'v'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(big.error().message, HasSubstr("at most 2097152"));
  EXPECT_EQ(transport_.count(), 0u);
  EXPECT_TRUE(media_extension_allowed(MediaType::kVoice, "x.AMR"));
  EXPECT_FALSE(media_extension_allowed(MediaType::kVideo, "x.mov"));
}

TEST_F(ApiClientTest, UploadsAreRetriedTemplatesOnlyWithAClientMsgId) {
  int n = 0;
  api = [&n](const HttpCall& c) {
    ++n;
    if (n == 1) return Result<HttpReply>(json_reply(R"({"errcode":-1,"errmsg":"system error rid: 1"})"));
    if (path_of(c.url) == "/cgi-bin/media/upload") {
      return Result<HttpReply>(json_reply(R"({"type":"image","media_id":"M2","created_at":1714010400})"));
    }
    return Result<HttpReply>(json_reply(R"({"errcode":0,"errmsg":"ok","msgid":3000000001})"));
  };
  auto m = client_->upload_media(MediaType::kImage, "p.png", "\x89PNG");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(n, 2);

  TemplateMessage t;
  t.touser = "o1";
  t.template_id = "TPL";
  t.data["keyword1"] = {"春季海报", ""};
  n = 0;
  auto once = client_->send_template(t);
  ASSERT_FALSE(once);
  EXPECT_EQ(once.error().detail, -1);
  EXPECT_THAT(once.error().message, HasSubstr("not retried"));
  EXPECT_EQ(n, 1);
  n = 0;
  t.client_msg_id = "campaign-7/reward/1";
  auto retried = client_->send_template(t);
  ASSERT_TRUE(retried) << retried.error().to_string();
  EXPECT_EQ(*retried, 3'000'000'001);
  EXPECT_EQ(n, 2);
  // A lost answer without a client_msg_id is not sent again either.
  t.client_msg_id.clear();
  n = 0;
  api = [&n](const HttpCall&) -> Result<HttpReply> {
    ++n;
    return unexpected(ErrorCode::kDeadlineExceeded, "timed out after 5000 ms");
  };
  EXPECT_THAT(client_->send_template(t).error().message, HasSubstr("not retried"));
  EXPECT_EQ(n, 1);
}

TEST_F(ApiClientTest, ATemplateMessageHasWeChatsShape) {
  api = [](const HttpCall&) { return Result<HttpReply>(json_reply(R"({"errcode":0,"errmsg":"ok","msgid":200228332})")); };
  TemplateMessage t;
  t.touser = "o1";
  t.template_id = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY";
  t.url = "https://example.com/c/7";
  t.data["keyword1"] = {"春季海报", "#173177"};
  t.data["keyword2"] = {"3/5", ""};
  t.client_msg_id = "c7-r1";
  EXPECT_EQ(*client_->send_template(t), 200228332);
  const auto calls = api_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(path_of(calls[0].url), "/cgi-bin/message/template/send");
  EXPECT_EQ(Json::parse(calls[0].body), Json::parse(R"({"touser":"o1","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
      "url":"https://example.com/c/7","client_msg_id":"c7-r1",
      "data":{"keyword1":{"value":"春季海报","color":"#173177"},"keyword2":{"value":"3/5"}}})"));
  t.url.clear();
  t.client_msg_id.clear();
  t.miniprogram_appid = "wxmini";
  t.miniprogram_pagepath = "pages/c?id=7";
  ASSERT_TRUE(client_->send_template(t));
  EXPECT_EQ(Json::parse(api_calls()[1].body)["miniprogram"], Json::parse(R"({"appid":"wxmini","pagepath":"pages/c?id=7"})"));
  EXPECT_FALSE(Json::parse(api_calls()[1].body).contains("url"));

  // Checked first: nothing sent.
  const auto before = transport_.count();
  TemplateMessage bad = t;
  bad.template_id.clear();
  EXPECT_FALSE(client_->send_template(bad));
  bad = t;
  bad.data.clear();
  EXPECT_FALSE(client_->send_template(bad));
  bad = t;
  bad.data["key word"] = {"x", ""};
  EXPECT_FALSE(client_->send_template(bad));
  bad = t;
  bad.url = "ftp://x";
  EXPECT_FALSE(client_->send_template(bad));
  bad = t;
  bad.touser.clear();
  EXPECT_FALSE(client_->send_template(bad));
  EXPECT_EQ(transport_.count(), before);
}

TEST_F(ApiClientTest, MediaAndTemplateErrcodesSayWhatToDo) {
  std::string answer;
  api = [&answer](const HttpCall&) { return Result<HttpReply>(json_reply(answer)); };
  CustomMessage m;
  m.touser = "o1";
  m.msgtype = "image";
  m.media_id = "gone";
  answer = R"({"errcode":40007,"errmsg":"invalid media_id rid: 1"})";
  auto gone = client_->send_message(m);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(gone.error().message, HasSubstr("upload the file again"));
  EXPECT_THAT(gone.error().message, HasSubstr("invalid media_id rid: 1"));
  answer = R"({"errcode":45015,"errmsg":"response out of time limit or subscription is canceled rid: 2"})";
  EXPECT_THAT(client_->send_message(m).error().message, HasSubstr("send a template message instead"));
  TemplateMessage t;
  t.touser = "o1";
  t.template_id = "TPL";
  t.data["keyword1"] = {"v", ""};
  answer = R"({"errcode":40037,"errmsg":"invalid template_id rid: 3"})";
  EXPECT_EQ(client_->send_template(t).error().detail, 40037);
  answer = R"({"errcode":43004,"errmsg":"require subscribe rid: 4"})";
  EXPECT_THAT(client_->send_template(t).error().message, HasSubstr("does not follow"));
  answer = R"({"errcode":0,"errmsg":"ok"})";
  EXPECT_EQ(client_->send_template(t).error().code, ErrorCode::kUnavailable);  // no msgid
  answer = R"({"type":"image","created_at":1})";
  EXPECT_EQ(client_->upload_media(MediaType::kImage, "a.png", "x").error().code, ErrorCode::kUnavailable);
}

// ---- several accounts ----

TEST(AccountClients, OneClientAndOneTokenFlightPerAppid) {
  std::atomic<int> requests{0};
  ScriptedTransport transport([&requests](const HttpCall& c) {
    ++requests;
    std::this_thread::sleep_for(30ms);  // long enough for every caller to arrive while in flight
    const auto at = c.url.find("appid=");
    const std::string appid = c.method == "POST" ? Json::parse(c.body)["appid"].get<std::string>()
                                                 : c.url.substr(at + 6, c.url.find('&', at) - at - 6);
    return Result<HttpReply>(json_reply(fmt::format(R"({{"access_token":"for-{}","expires_in":7200}})", appid)));
  });
  MemoryTokenStore store;
  FakeClock clock;
  AccountClients clients(transport, store, clock, ApiClientOptions{});
  ASSERT_TRUE(clients.add({"wxa", Secret("sa"), TokenMode::kStable}));
  ASSERT_TRUE(clients.add({"wxb", Secret("sb"), TokenMode::kClassic}));
  EXPECT_EQ(clients.add({"wxa", Secret("other"), TokenMode::kStable}).error().code, ErrorCode::kAlreadyExists);
  EXPECT_FALSE(clients.add({"wxc", Secret(), TokenMode::kStable}));
  EXPECT_EQ(clients.get("wxz").error().code, ErrorCode::kNotFound);
  EXPECT_THAT(clients.get("wxz").error().message, HasSubstr("wxa, wxb"));
  EXPECT_EQ(*clients.get("wxa"), *clients.get("wxa"));

  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      const std::string appid = i % 2 ? "wxa" : "wxb";
      auto token = (*clients.get(appid))->tokens().token();
      if (!token || *token != "for-" + appid) ++wrong;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(clients.appids(), (std::vector<std::string>{"wxa", "wxb"}));
}

}  // namespace
}  // namespace qrscene::wechat
