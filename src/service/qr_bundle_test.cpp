#include "service/qr_bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <map>

#include "qr/qr_code.h"

namespace qrscene::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

domain::Channel channel(std::int64_t id, std::string name, std::string url) {
  domain::Channel c;
  c.id = id;
  c.appid = "wx1";
  c.name = std::move(name);
  c.group = "地推";
  c.scene = std::to_string(id);
  c.url = std::move(url);
  c.kind = domain::ChannelKind::kTemporary;
  c.expires_at = 1'767'139'200;  // 2025-12-31 08:00 Beijing
  return c;
}

// The archive's files by name, read back with libzip as any unzip would.
std::map<std::string, std::string> unzip(const std::string& bytes) {
  std::map<std::string, std::string> out;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* za = src == nullptr ? nullptr : zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  EXPECT_NE(za, nullptr) << zip_error_strerror(&error);
  if (za == nullptr) {
    if (src != nullptr) zip_source_free(src);
    return out;
  }
  for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(za, static_cast<zip_uint64_t>(i), 0, &st);
    std::string data(st.size, '\0');
    zip_file_t* f = zip_fopen_index(za, static_cast<zip_uint64_t>(i), 0);
    EXPECT_EQ(zip_fread(f, data.data(), st.size), static_cast<zip_int64_t>(st.size));
    zip_fclose(f);
    out[st.name] = std::move(data);
  }
  zip_close(za);
  zip_error_fini(&error);
  return out;
}

TEST(QrBundle, EachChannelsCodeIsAFileNamedAfterItAndTheIndexSaysWhichIsWhich) {
  const std::vector<domain::Channel> channels = {channel(7, "地铁/海报 A", "http://weixin.qq.com/q/aaa"),
                                                 channel(12, "门店", "http://weixin.qq.com/q/bbb")};
  auto zip = qr_bundle(channels, qr::QrStyle{}, qr::ImageFormat::kPng, 8 * 3600);
  ASSERT_TRUE(zip) << zip.error().to_string();
  const auto files = unzip(*zip);
  std::vector<std::string> names;
  for (const auto& [name, data] : files) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("12-门店.png", "7-地铁_海报 A.png", "index.csv"));
  // Each image holds its channel's url, as a phone reads it.
  auto gray = qr::decode_image(files.at("7-地铁_海报 A.png"));
  ASSERT_TRUE(gray);
  auto texts = qr::scan(*gray);
  ASSERT_TRUE(texts);
  EXPECT_EQ(texts->front(), "http://weixin.qq.com/q/aaa");
  const std::string& index = files.at("index.csv");
  EXPECT_THAT(index, HasSubstr("file,id,name,group,owner,kind,scene,status,url,expires_at"));
  EXPECT_THAT(index, HasSubstr("7-地铁_海报 A.png,7,地铁/海报 A,地推,,temporary,7,active,http://weixin.qq.com/q/aaa,"
                               "2025-12-31 08:00"));
}

TEST(QrBundle, SvgToo) {
  auto zip = qr_bundle({channel(3, "x", "http://weixin.qq.com/q/c")}, qr::QrStyle{}, qr::ImageFormat::kSvg, 0);
  ASSERT_TRUE(zip);
  const auto files = unzip(*zip);
  ASSERT_TRUE(files.contains("3-x.svg"));
  EXPECT_THAT(files.at("3-x.svg"), HasSubstr("<svg"));
}

TEST(QrBundle, ACodeWithoutAUrlOrTooManyChannelsAreRefusedByName) {
  auto missing = qr_bundle({channel(5, "draft", "")}, qr::QrStyle{}, qr::ImageFormat::kPng, 0);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("channel 5 (draft) has no QR url"));
  std::vector<domain::Channel> many(kMaxBundleChannels + 1, channel(1, "a", "http://weixin.qq.com/q/a"));
  auto refused = qr_bundle(many, qr::QrStyle{}, qr::ImageFormat::kPng, 0);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("narrow it"));
}

TEST(QrBundle, FileNamesKeepWholeCharactersAndRefuseWhatFileSystemsRefuse) {
  EXPECT_EQ(bundle_file_name(channel(1, "a:b*c?\"d<e>f|g\\h", ""), "png"), "1-a_b_c__d_e_f_g_h.png");
  const std::string long_name(30, 'x');
  const std::string chinese = long_name + "渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道渠道";
  const std::string name = bundle_file_name(channel(2, chinese, ""), "svg");
  EXPECT_LE(name.size(), std::string("2-.svg").size() + 80);
  EXPECT_TRUE(name.ends_with("渠.svg") || name.ends_with("道.svg")) << name;
}

}  // namespace
}  // namespace qrscene::service
