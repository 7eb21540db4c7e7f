#include "wechat/reply.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>

namespace qrscene::wechat {
namespace {

constexpr std::string_view kEnvelope =
    "<xml><ToUserName><![CDATA[o_user]]></ToUserName><FromUserName><![CDATA[gh_acct]]></FromUserName>"
    "<CreateTime>1714037059</CreateTime>";

std::string render(const Reply& r) {
  auto xml = render_reply(r, "o_user", "gh_acct", 1714037059);
  EXPECT_TRUE(xml) << xml.error().to_string();
  return xml ? *xml : std::string();
}

// What an XML parser (standing in for WeChat) reads back from our reply.
std::string read_back(const std::string& xml, const char* path) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str(), pugi::parse_default)) << xml;
  return doc.select_node(path).node().text().get();
}

std::string read_back_joined(const std::string& xml, const char* path) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str(), pugi::parse_default)) << xml;
  std::string out;
  for (pugi::xml_node c = doc.select_node(path).node().first_child(); c; c = c.next_sibling()) out += c.value();
  return out;
}

TEST(Reply, Text) {
  EXPECT_EQ(render(TextReply{"你好\n欢迎"}),
            std::string(kEnvelope) + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好\n欢迎]]></Content></xml>");
}

TEST(Reply, CdataTerminatorInContentSurvives) {
  const std::string tricky = "a]]>b]]]]>c<![CDATA[d]]>";
  const std::string xml = render(TextReply{tricky});
  EXPECT_EQ(read_back_joined(xml, "/xml/Content"), tricky);
  // And nothing can be injected as a sibling element.
  const std::string injected = render(TextReply{"]]></Content><Injected>1</Injected><Content><![CDATA["});
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(injected.c_str()));
  EXPECT_FALSE(doc.child("xml").child("Injected"));
}

TEST(Reply, ImageVoiceVideo) {
  EXPECT_EQ(render(ImageReply{"m1"}),
            std::string(kEnvelope) + "<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[m1]]></MediaId></Image></xml>");
  EXPECT_EQ(render(VoiceReply{"m2"}),
            std::string(kEnvelope) + "<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[m2]]></MediaId></Voice></xml>");
  const std::string video = render(VideoReply{"m3", "T", "D"});
  EXPECT_EQ(read_back(video, "/xml/Video/MediaId"), "m3");
  EXPECT_EQ(read_back(video, "/xml/Video/Title"), "T");
  EXPECT_EQ(read_back(video, "/xml/Video/Description"), "D");
  const std::string bare = render(VideoReply{"m3", "", ""});
  EXPECT_EQ(bare.find("<Title>"), std::string::npos);  // optional elements left out when empty
  for (const Reply& r : {Reply(ImageReply{}), Reply(VoiceReply{}), Reply(VideoReply{})}) {
    const auto e = render_reply(r, "o", "g", 1);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("media_id"), std::string::npos);
  }
}

TEST(Reply, Music) {
  const std::string xml = render(MusicReply{"t", "d", "http://m", "http://hq", "thumb"});
  EXPECT_EQ(read_back(xml, "/xml/MsgType"), "music");
  EXPECT_EQ(read_back(xml, "/xml/Music/MusicUrl"), "http://m");
  EXPECT_EQ(read_back(xml, "/xml/Music/HQMusicUrl"), "http://hq");
  EXPECT_EQ(read_back(xml, "/xml/Music/ThumbMediaId"), "thumb");
}

TEST(Reply, NewsWithOneToEightArticles) {
  NewsReply news;
  for (int i = 1; i <= 8; ++i) {
    news.articles.push_back({"title" + std::to_string(i), "desc", "http://pic", "http://url/" + std::to_string(i)});
  }
  const std::string xml = render(news);
  EXPECT_EQ(read_back(xml, "/xml/ArticleCount"), "8");
  EXPECT_EQ(read_back(xml, "/xml/Articles/item[8]/Url"), "http://url/8");
  EXPECT_EQ(read_back(xml, "/xml/Articles/item[1]/Title"), "title1");

  news.articles.push_back(news.articles.front());
  EXPECT_FALSE(render_reply(news, "o", "g", 1));  // 9 articles
  EXPECT_FALSE(render_reply(NewsReply{}, "o", "g", 1));
}

TEST(Reply, TransferToCustomerService) {
  EXPECT_EQ(render(TransferCustomerServiceReply{}),
            std::string(kEnvelope) + "<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>");
}

TEST(Reply, SuccessIsTheLiteralWord) { EXPECT_EQ(kSuccess, "success"); }

TEST(Reply, EnvelopeAddressesTheFollower) {
  const std::string xml = render(TextReply{"x"});
  EXPECT_EQ(read_back(xml, "/xml/ToUserName"), "o_user");
  EXPECT_EQ(read_back(xml, "/xml/FromUserName"), "gh_acct");
  EXPECT_EQ(read_back(xml, "/xml/CreateTime"), "1714037059");
}

}  // namespace
}  // namespace qrscene::wechat
