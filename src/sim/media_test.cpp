// Temporary media on the Platform: media/upload's form, types, formats and limits, the 3-day
// lifetime, image customer-service messages naming a media_id, and the saved state.
#include <gtest/gtest.h>

#include <string>

#include "sim/platform.h"

namespace qrscene::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStart = 1714010400;  // 2024-04-25 10:00 Beijing
constexpr std::string_view kBoundary = "----qrscenetest7MA4YWxkTrZu0gW";

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(100, 'p');
const std::string kJpeg = std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10) + std::string(100, 'j');
const std::string kGif = "GIF89a" + std::string(50, 'g');
const std::string kBmp = "BM" + std::string(60, 'b');

std::string content_type() { return "multipart/form-data; boundary=" + std::string(kBoundary); }

// A form with one file part (field `name`), as curl -F sends it.
std::string form(const std::string& filename, const std::string& bytes, const std::string& name = "media") {
  return "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" +
         filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n--" + std::string(kBoundary) +
         "--\r\n";
}

SimAccount account(std::string appid, bool test = false, bool verified = true) {
  SimAccount a;
  a.appid = std::move(appid);
  a.secret = "s";
  a.test_account = test;
  a.verified = verified;
  return a;
}

class MediaTest : public ::testing::Test {
 protected:
  explicit MediaTest(PlatformOptions o = {}) : platform_(clock_, rng_, std::move(o)) {
    platform_.add_account(account("wx1"));
    platform_.add_account(account("wx2"));
  }

  std::int64_t code(const Result<Json>& r) { return r ? 0 : r.error().detail; }
  std::int64_t upload_code(std::string_view type, const std::string& filename, const std::string& bytes) {
    return code(platform_.media_upload("wx1", type, content_type(), form(filename, bytes)));
  }
  std::string upload(std::string_view type, const std::string& filename, const std::string& bytes,
                     std::string_view appid = "wx1") {
    auto r = platform_.media_upload(appid, type, content_type(), form(filename, bytes));
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? r->value("media_id", r->value("thumb_media_id", "")) : "";
  }
  // A follower who just scanned: the 3-messages-a-minute window is open.
  std::string follower() {
    const std::string openid = platform_.create_users("wx1", 1)->front().openid;
    EXPECT_TRUE(platform_.follow("wx1", openid, ""));
    return openid;
  }
  Json image_message(const std::string& openid, const std::string& media_id) {
    return Json{{"touser", openid}, {"msgtype", "image"}, {"image", {{"media_id", media_id}}}};
  }

  FakeClock clock_{kStart};
  Rng rng_{3};
  Platform platform_;
};

TEST_F(MediaTest, UploadAnswersTypeMediaIdAndCreatedAt) {
  auto r = platform_.media_upload("wx1", "image", content_type(), form("poster.png", kPng));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ((*r)["type"], "image");
  EXPECT_EQ((*r)["created_at"], kStart);
  const std::string id = (*r)["media_id"];
  EXPECT_EQ(id.size(), 64u);
  EXPECT_FALSE(r->contains("errcode"));  // WeChat's success carries no errcode
  auto m = platform_.media_get("wx1", id);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->bytes, kPng);
  EXPECT_EQ(m->content_type, "image/png");
  EXPECT_EQ(m->format, "png");
  EXPECT_EQ(m->filename, "poster.png");
  // Every allowed image format, judged by its bytes.
  EXPECT_EQ(platform_.media_get("wx1", upload("image", "a.JPG", kJpeg))->content_type, "image/jpeg");
  EXPECT_EQ(platform_.media_get("wx1", upload("image", "a.gif", kGif))->content_type, "image/gif");
  EXPECT_EQ(platform_.media_get("wx1", upload("image", "a.bmp", kBmp))->content_type, "image/bmp");
  EXPECT_EQ(platform_.media_get("wx1", upload("voice", "v.amr", "#!AMR\n..."))->content_type, "audio/amr");
  EXPECT_EQ(platform_.media_get("wx1", upload("video", "v.mp4", "....ftypisom"))->content_type, "video/mp4");
}

TEST_F(MediaTest, AThumbAnswersThumbMediaIdAsWeChatDoes) {
  auto r = platform_.media_upload("wx1", "thumb", content_type(), form("t.jpg", kJpeg));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains("thumb_media_id"));
  EXPECT_FALSE(r->contains("media_id"));
  EXPECT_EQ(upload_code("thumb", "t.png", kPng), 40005);  // thumbs are JPEG only
}

TEST_F(MediaTest, ErrcodesOfTheUpload) {
  EXPECT_EQ(upload_code("picture", "poster.png", kPng), 40004);
  EXPECT_EQ(upload_code("", "poster.png", kPng), 40004);
  EXPECT_EQ(upload_code("image", "poster.png", ""), 40006);                   // 0 bytes
  EXPECT_EQ(upload_code("image", "poster.txt", kPng), 40005);                 // extension
  EXPECT_EQ(upload_code("image", "poster", kPng), 40005);                     // no extension
  EXPECT_EQ(upload_code("image", "poster.png", "not an image at all"), 40005);  // content
  EXPECT_EQ(upload_code("image", "poster.jpg", "BM"), 40005);                 // too short for a BMP
  EXPECT_EQ(upload_code("voice", "v.ogg", "OggS"), 40005);
  EXPECT_EQ(upload_code("video", "v.mov", "moov"), 40005);
  // No `media` file: another field, a `media` field without a filename, no form at all.
  EXPECT_EQ(code(platform_.media_upload("wx1", "image", content_type(), form("a.png", kPng, "file"))), 41005);
  const std::string plain_field = "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\n" +
                                  kPng + "\r\n--" + std::string(kBoundary) + "--\r\n";
  EXPECT_EQ(code(platform_.media_upload("wx1", "image", content_type(), plain_field)), 41005);
  EXPECT_EQ(code(platform_.media_upload("wx1", "image", "application/json", "{}")), 41005);
  EXPECT_EQ(code(platform_.media_upload("wx1", "image", content_type(), "")), 41005);
  const std::string cut = form("a.png", kPng).substr(0, 120);  // malformed: no closing boundary
  EXPECT_EQ(code(platform_.media_upload("wx1", "image", content_type(), cut)), 41005);
  // Sizes: voice 2 MB, thumb 64 KB, image 10 MB (40006 past the limit by default).
  EXPECT_EQ(upload_code("voice", "v.mp3", std::string(2 * 1024 * 1024, 'v')), 0);
  EXPECT_EQ(upload_code("voice", "v.mp3", std::string(2 * 1024 * 1024 + 1, 'v')), 40006);
  EXPECT_EQ(upload_code("thumb", "t.jpg", kJpeg + std::string(64 * 1024 - kJpeg.size(), 'j')), 0);
  EXPECT_EQ(upload_code("thumb", "t.jpg", kJpeg + std::string(64 * 1024 - kJpeg.size() + 1, 'j')), 40006);
  EXPECT_EQ(upload_code("image", "big.png", kPng + std::string(10 * 1024 * 1024 - kPng.size() + 1, 'p')), 40006);
  // An unverified account may not use the media API.
  platform_.add_account(account("wxunverified", false, false));
  EXPECT_EQ(code(platform_.media_upload("wxunverified", "image", content_type(), form("a.png", kPng))), 48001);
}

class OlderMediaReadingsTest : public MediaTest {
 protected:
  static PlatformOptions older() {
    PlatformOptions o;
    o.media_expired_errcode = 46001;
    o.media_oversize_errcode = 45001;
    o.media_image_max_bytes = 2 * 1024 * 1024;
    o.media_image_bmp = false;
    o.media_thumb_media_id = false;
    return o;
  }
  OlderMediaReadingsTest() : MediaTest(older()) {}
};

TEST_F(OlderMediaReadingsTest, OptionsChooseTheOtherReadings) {
  EXPECT_EQ(upload_code("image", "big.png", kPng + std::string(2 * 1024 * 1024, 'p')), 45001);
  EXPECT_EQ(upload_code("image", "a.bmp", kBmp), 40005);
  EXPECT_EQ(upload_code("image", "a.png", kBmp), 40005);  // BMP bytes under another name
  auto thumb = platform_.media_upload("wx1", "thumb", content_type(), form("t.jpg", kJpeg));
  ASSERT_TRUE(thumb);
  EXPECT_TRUE(thumb->contains("media_id"));
  const std::string id = upload("image", "a.png", kPng);
  clock_.advance(std::chrono::seconds(259'200));
  EXPECT_EQ(platform_.media_get("wx1", id).error().detail, 46001);
  EXPECT_EQ(platform_.media_get("wx1", "no-such-id").error().detail, 40007);
}

TEST_F(MediaTest, MediaLivesThreeDaysAndBelongsToItsAccount) {
  const std::string id = upload("image", "poster.png", kPng);
  EXPECT_EQ(platform_.media_get("wx2", id).error().detail, 40007);  // another account's id
  EXPECT_EQ(platform_.media_get("wx1", "no-such-id").error().detail, 40007);
  clock_.advance(std::chrono::seconds(259'199));
  EXPECT_TRUE(platform_.media_get("wx1", id));
  clock_.advance(1s);
  auto gone = platform_.media_get("wx1", id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().detail, 40007);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  // The control API still knows it, expired; the next upload drops its bytes.
  ASSERT_TRUE(platform_.media("wx1", id));
  EXPECT_EQ(platform_.media_expires_at(*platform_.media("wx1", id)), kStart + 259'200);
  upload("image", "other.png", kPng);
  EXPECT_EQ(platform_.media("wx1", id)->bytes, nullptr);
}

TEST_F(MediaTest, ImageMessagesNeedALiveImageMediaId) {
  const std::string openid = follower();
  const std::string id = upload("image", "poster.png", kPng);
  ASSERT_TRUE(platform_.custom_send("wx1", image_message(openid, id)));
  const auto got = platform_.received("wx1", openid);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_NE(got[0].media, nullptr);
  EXPECT_EQ(*got[0].media, kPng);
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, "no-such-id"))), 40007);
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, ""))), 40007);
  const std::string voice = upload("voice", "v.mp3", "ID3....");
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, voice))), 40007);  // not an image
  const std::string other = upload("image", "p.png", kPng, "wx2");
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, other))), 40007);
  // Three days on the id is gone (40007) even in a new window; outside any window a good id is 45015.
  clock_.advance(std::chrono::seconds(259'200));
  EXPECT_TRUE(platform_.text("wx1", openid, "hi"));  // opens the 48-hour window
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, id))), 40007);
  const std::string fresh = upload("image", "poster.png", kPng);
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, fresh))), 0);
  clock_.advance(49h);
  EXPECT_EQ(code(platform_.custom_send("wx1", image_message(openid, fresh))), 45015);
  // What the user received keeps its file past the media's expiry.
  EXPECT_EQ(*platform_.received("wx1", openid).at(0).media, kPng);
}

TEST(MediaQuota, UploadsCountAgainstTheDailyQuota) {
  // 100,000 a day, 10,000 for test accounts (section 9); a smaller quota here to keep the test quick.
  EXPECT_EQ(PlatformOptions{}.daily_quota.at("media/upload"), (std::pair<std::int64_t, std::int64_t>{100'000, 10'000}));
  EXPECT_EQ(PlatformOptions{}.daily_quota.at("media/get"), (std::pair<std::int64_t, std::int64_t>{200'000, 20'000}));
  PlatformOptions o;
  o.daily_quota["media/upload"] = {5, 3};
  FakeClock clock{kStart};
  Rng rng{1};
  Platform platform(clock, rng, o);
  platform.add_account(account("wxtest", /*test=*/true));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(platform.media_upload("wxtest", "image", content_type(), form("a.png", kPng)));
  auto over = platform.media_upload("wxtest", "image", content_type(), form("a.png", kPng));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().detail, 45009);
  // A refused upload (bad type) is not counted; tomorrow (Beijing) the quota is back.
  clock.advance(std::chrono::hours(24));
  EXPECT_EQ(platform.media_upload("wxtest", "picture", content_type(), form("a.png", kPng)).error().detail, 40004);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(platform.media_upload("wxtest", "image", content_type(), form("a.png", kPng)));
}

TEST_F(MediaTest, SavedStateKeepsTheFiles) {
  const std::string id = upload("image", "poster.png", kPng);
  const Json state = platform_.to_json();
  FakeClock clock{kStart};
  Rng rng{9};
  Platform restored(clock, rng);
  ASSERT_TRUE(restored.from_json(state));
  auto m = restored.media_get("wx1", id);
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(*m->bytes, kPng);
  EXPECT_EQ(m->created_at, kStart);
  // A state saved before media existed loads with none; a damaged file is refused.
  Json old = state;
  for (auto& a : old["accounts"]) a.erase("media");
  ASSERT_TRUE(restored.from_json(old));
  EXPECT_EQ(restored.media_get("wx1", id).error().detail, 40007);
  Json damaged = state;
  damaged["accounts"][0]["media"][0]["base64"] = "***";
  EXPECT_FALSE(restored.from_json(damaged));
}

}  // namespace
}  // namespace qrscene::sim
