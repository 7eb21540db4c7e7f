#include "wechat/inbound.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_data.h"

namespace qrscene::wechat {
namespace {

using qrscene::testing::read_file;

Inbound parse_file(const std::string& name) {
  auto r = parse_inbound(read_file("tests/data/pushes/" + name + ".xml"));
  EXPECT_TRUE(r) << name << ": " << r.error().to_string();
  if (!r) return UnknownPush{};
  return std::move(r).value();
}

template <class T>
T as(const std::string& name) {
  Inbound in = parse_file(name);
  const T* v = std::get_if<T>(&in);
  EXPECT_NE(v, nullptr) << name << " parsed as alternative " << in.index();
  return v != nullptr ? *v : T{};
}

std::string wrap(std::string_view inner) {
  return std::string("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
                     "<CreateTime>1714037059</CreateTime>") +
         std::string(inner) + "</xml>";
}

Error parse_error(std::string_view xml) {
  auto r = parse_inbound(xml);
  EXPECT_FALSE(r) << xml.substr(0, 200);
  return r ? Error{} : r.error();
}

TEST(Inbound, HeaderFields) {
  const auto s = as<ScanEvent>("scan");
  EXPECT_EQ(s.header.to_user, "gh_45072270791c");
  EXPECT_EQ(s.header.from_user, "o7Lp5t6n59DeX3U0C7Kric9qEx-Q");
  EXPECT_EQ(s.header.create_time, 1714037059);
  EXPECT_EQ(header_of(parse_file("text")).from_user, "o7Lp5t6n59DeX3U0C7Kric9qEx-Q");
}

TEST(Inbound, SubscribeThroughQrCodeStripsOnlyThePrefix) {
  const auto s = as<SubscribeEvent>("subscribe_qrscene");
  ASSERT_TRUE(s.scene.has_value());
  EXPECT_EQ(*s.scene, "123123");
  EXPECT_EQ(s.event_key, "qrscene_123123");
  EXPECT_EQ(s.ticket, "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==");

  // A string scene that itself contains "qrscene_" keeps it: only the leading prefix goes.
  const auto str = as<SubscribeEvent>("subscribe_qrscene_str");
  EXPECT_EQ(*str.scene, "store_qrscene_42");
}

TEST(Inbound, PlainSubscribeHasNoScene) {
  for (const char* name : {"subscribe_plain", "subscribe_no_eventkey"}) {
    const auto s = as<SubscribeEvent>(name);
    EXPECT_FALSE(s.scene.has_value()) << name;
    EXPECT_EQ(s.event_key, "") << name;
    EXPECT_EQ(s.ticket, "") << name;
  }
}

TEST(Inbound, SubscribeAfterPaymentKeepsItsEventKeyWithoutAScene) {
  const auto s = as<SubscribeEvent>("subscribe_last_trade_no");
  EXPECT_FALSE(s.scene.has_value());
  EXPECT_EQ(s.event_key, "last_trade_no_4200001234202401015678901234");
}

TEST(Inbound, ScanKeepsTheEventKeyAsItIs) {
  EXPECT_EQ(as<ScanEvent>("scan").scene, "123123");
  EXPECT_EQ(as<ScanEvent>("scan").ticket, "TICKET");
  // SCAN has no prefix to strip: a scene_str that starts with "qrscene_" stays whole.
  EXPECT_EQ(as<ScanEvent>("scan_str_with_prefix").scene, "qrscene_looks_prefixed");
}

TEST(Inbound, Unsubscribe) { EXPECT_EQ(as<UnsubscribeEvent>("unsubscribe").header.from_user, "o7Lp5t6n59DeX3U0C7Kric9qEx-Q"); }

TEST(Inbound, LocationEvent) {
  const auto l = as<LocationEvent>("location_event");
  EXPECT_DOUBLE_EQ(l.latitude, 23.137466);
  EXPECT_DOUBLE_EQ(l.longitude, 113.352425);
  EXPECT_DOUBLE_EQ(l.precision, 119.385040);
}

TEST(Inbound, MenuClickAndView) {
  EXPECT_EQ(as<ClickEvent>("click").key, "V1001_TODAY_MUSIC");
  const auto v = as<ViewEvent>("view");
  EXPECT_EQ(v.url, "http://www.qq.com/");
  EXPECT_EQ(v.menu_id, 208396938);
  const auto mp = as<ViewMiniprogramEvent>("view_miniprogram");
  EXPECT_EQ(mp.page_path, "pages/index/index");
  EXPECT_FALSE(mp.menu_id.has_value());  // the doc sample's "MENUID" is dropped, not fatal
}

TEST(Inbound, ScanCodeMenuEvents) {
  const auto push = as<ScanCodeMenuEvent>("scancode_push");
  EXPECT_EQ(push.kind, ScanCodeMenuEvent::Kind::kPush);
  EXPECT_EQ(push.key, "6");
  EXPECT_EQ(push.scan_type, "qrcode");
  EXPECT_EQ(push.scan_result, "1");
  const auto wait = as<ScanCodeMenuEvent>("scancode_waitmsg");
  EXPECT_EQ(wait.kind, ScanCodeMenuEvent::Kind::kWaitMsg);
  EXPECT_EQ(wait.scan_result, "2");
}

TEST(Inbound, PictureMenuEvents) {
  const auto sys = as<PicMenuEvent>("pic_sysphoto");
  EXPECT_EQ(sys.kind, PicMenuEvent::Kind::kSysPhoto);
  EXPECT_EQ(sys.count, 1);
  EXPECT_EQ(sys.pic_md5s, std::vector<std::string>{"1b5f7c23b5bf75682a53e7b6d163e185"});
  const auto album = as<PicMenuEvent>("pic_photo_or_album");
  EXPECT_EQ(album.kind, PicMenuEvent::Kind::kPhotoOrAlbum);
  EXPECT_EQ(album.count, 2);
  EXPECT_EQ(album.pic_md5s.size(), 2u);
  EXPECT_EQ(as<PicMenuEvent>("pic_weixin").kind, PicMenuEvent::Kind::kWeixin);
}

TEST(Inbound, LocationSelectMenuEvent) {
  const auto l = as<LocationSelectMenuEvent>("location_select");
  EXPECT_DOUBLE_EQ(l.latitude, 23);
  EXPECT_DOUBLE_EQ(l.longitude, 113);
  EXPECT_EQ(l.scale, 15);
  EXPECT_EQ(l.label, " 广州市海珠区客村艺苑路 106号");
  EXPECT_EQ(l.poi_name, "");
}

TEST(Inbound, JobFinishEvents) {
  const auto t = as<TemplateSendJobFinishEvent>("templatesendjobfinish");
  EXPECT_EQ(t.msg_id, 200163836u);
  EXPECT_EQ(t.status, "success");
  const auto m = as<MassSendJobFinishEvent>("masssendjobfinish");
  EXPECT_EQ(m.msg_id, 1988u);
  EXPECT_EQ(m.status, "sendsuccess");
  EXPECT_EQ(m.total_count, 100);
  EXPECT_EQ(m.filter_count, 80);
  EXPECT_EQ(m.sent_count, 75);
  EXPECT_EQ(m.error_count, 5);
}

TEST(Inbound, OrdinaryMessages) {
  const auto text = as<TextMessage>("text");
  EXPECT_EQ(text.content, "你好");
  EXPECT_EQ(text.msg_id, 6074746557628292943u);
  EXPECT_FALSE(text.msg_data_id.has_value());
  const auto article = as<TextMessage>("text_from_article");
  EXPECT_EQ(article.msg_data_id, 2247483652u);
  EXPECT_EQ(article.idx, 1);

  const auto image = as<ImageMessage>("image");
  EXPECT_EQ(image.pic_url, "http://mmbiz.qpic.cn/pic");
  EXPECT_EQ(image.media_id, "media_id_1");

  const auto voice = as<VoiceMessage>("voice");
  EXPECT_EQ(voice.format, "amr");
  EXPECT_FALSE(voice.recognition.has_value());
  EXPECT_EQ(as<VoiceMessage>("voice_recognition").recognition, "腾讯微信团队");

  const auto video = as<VideoMessage>("video");
  EXPECT_EQ(video.media_id, "media_id_3");
  EXPECT_EQ(video.thumb_media_id, "thumb_3");
  EXPECT_EQ(as<ShortVideoMessage>("shortvideo").thumb_media_id, "thumb_4");

  const auto loc = as<LocationMessage>("location_message");
  EXPECT_DOUBLE_EQ(loc.latitude, 23.134521);
  EXPECT_DOUBLE_EQ(loc.longitude, 113.358803);
  EXPECT_EQ(loc.scale, 20);
  EXPECT_EQ(loc.label, "位置信息");

  const auto link = as<LinkMessage>("link");
  EXPECT_EQ(link.title, "公众平台官网链接");
  EXPECT_EQ(link.url, "http://mp.weixin.qq.com");
}

TEST(Inbound, UnknownTypesAreKeptNotRejected) {
  const auto e = as<UnknownPush>("unknown_event");
  EXPECT_EQ(e.msg_type, "event");
  EXPECT_EQ(e.event, "user_pay_from_pay_cell");
  ASSERT_EQ(e.fields.size(), 2u);
  EXPECT_EQ(e.fields[0], (std::pair<std::string, std::string>{"TransId", "4200000001"}));
  EXPECT_EQ(e.fields[1], (std::pair<std::string, std::string>{"Fee", "100"}));

  const auto m = as<UnknownPush>("unknown_msgtype");
  EXPECT_EQ(m.msg_type, "miniprogrampage");
  EXPECT_EQ(m.msg_id, 42u);
}

TEST(Inbound, EveryCheckedInSampleParses) {
  int n = 0;
  for (const auto& dir : {"tests/data/pushes", "tests/data/seeds"}) {
    for (const auto& entry : std::filesystem::directory_iterator(qrscene::testing::source_dir() / dir)) {
      if (entry.path().extension() != ".xml") continue;
      const auto r = parse_inbound(read_file(std::filesystem::path(dir) / entry.path().filename()));
      EXPECT_TRUE(r) << entry.path() << ": " << (r ? "" : r.error().to_string());
      ++n;
    }
  }
  EXPECT_GE(n, 40);
}

// The XML samples of the articles in ../shared/seeds (copied to tests/data/seeds).
TEST(Inbound, SeedArticleSamples) {
  const auto sub = std::get<SubscribeEvent>(*parse_inbound(read_file("tests/data/seeds/004_0.xml")));
  EXPECT_EQ(*sub.scene, "1000");
  EXPECT_EQ(sub.header.to_user, "gh_45072270791c");
  EXPECT_EQ(sub.header.create_time, 1389684286);
  EXPECT_EQ(sub.ticket, "gQHi8DoAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL0UweTNxNi1sdlA3RklyRnNKbUFvAAIELdnUUgMEAAAAAA==");
  const auto scan = std::get<ScanEvent>(*parse_inbound(read_file("tests/data/seeds/004_1.xml")));
  EXPECT_EQ(scan.scene, "1000");
  EXPECT_EQ(scan.header.create_time, 1389684184);
  EXPECT_EQ(std::get<ScanEvent>(*parse_inbound(read_file("tests/data/seeds/000_1.xml"))).scene, "SCENE_VALUE");
  EXPECT_DOUBLE_EQ(std::get<LocationEvent>(*parse_inbound(read_file("tests/data/seeds/000_2.xml"))).precision,
                   119.385040);
  EXPECT_EQ(std::get<ClickEvent>(*parse_inbound(read_file("tests/data/seeds/000_3.xml"))).key, "EVENTKEY");
  EXPECT_EQ(std::get<ViewEvent>(*parse_inbound(read_file("tests/data/seeds/000_4.xml"))).url, "www.qq.com");
  // 003 has the samples on one line with spaces between elements.
  EXPECT_EQ(*std::get<SubscribeEvent>(*parse_inbound(read_file("tests/data/seeds/003_0.xml"))).scene, "123123");
  EXPECT_FALSE(std::get<SubscribeEvent>(*parse_inbound(read_file("tests/data/seeds/003_2.xml"))).scene);
}

TEST(Inbound, ValuesMayComeWithoutCdataOrWithEntities) {
  auto r = parse_inbound(wrap("<MsgType>event</MsgType><Event>SCAN</Event><EventKey>a&amp;b&lt;c</EventKey>"));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(std::get<ScanEvent>(*r).scene, "a&b<c");
}

TEST(Inbound, EventNamesIgnoreCase) {
  auto r = parse_inbound(wrap("<MsgType>EVENT</MsgType><Event>scan</Event><EventKey>7</EventKey>"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::holds_alternative<ScanEvent>(*r));
}

TEST(Inbound, CdataSplitAroundTerminatorIsJoined) {
  auto r = parse_inbound(wrap("<MsgType>text</MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content><MsgId>1</MsgId>"));
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<TextMessage>(*r).content, "a]]>b");
}

TEST(Inbound, MsgIdIsA64BitInteger) {
  auto max = parse_inbound(wrap("<MsgType>text</MsgType><Content>x</Content><MsgId>18446744073709551615</MsgId>"));
  ASSERT_TRUE(max);
  EXPECT_EQ(std::get<TextMessage>(*max).msg_id, 18446744073709551615ull);
  EXPECT_NE(parse_error(wrap("<MsgType>text</MsgType><MsgId>18446744073709551616</MsgId>")).message.find("out of range"),
            std::string::npos);
  parse_error(wrap("<MsgType>text</MsgType><MsgId>-1</MsgId>"));
  parse_error(wrap("<MsgType>text</MsgType><MsgId>12abc</MsgId>"));
  parse_error(wrap("<MsgType>text</MsgType><MsgId></MsgId>"));
  parse_error(wrap("<MsgType>text</MsgType><Content>no id</Content>"));
}

TEST(Inbound, RejectsMissingOrMistypedHeaderFields) {
  const std::string body = "<MsgType>event</MsgType><Event>unsubscribe</Event>";
  EXPECT_NE(parse_error("<xml><FromUserName>o</FromUserName><CreateTime>1</CreateTime>" + body + "</xml>")
                .message.find("<ToUserName> is missing"),
            std::string::npos);
  parse_error("<xml><ToUserName>g</ToUserName><CreateTime>1</CreateTime>" + body + "</xml>");
  parse_error("<xml><ToUserName>g</ToUserName><FromUserName></FromUserName><CreateTime>1</CreateTime>" + body + "</xml>");
  parse_error("<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName>" + body + "</xml>");
  EXPECT_NE(parse_error("<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>soon</CreateTime>" +
                        body + "</xml>")
                .message.find("CreateTime"),
            std::string::npos);
  parse_error("<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>-5</CreateTime>" + body + "</xml>");
  parse_error(wrap("<Event>subscribe</Event>"));                 // no MsgType
  parse_error(wrap("<MsgType></MsgType>"));                      // empty MsgType
  parse_error(wrap("<MsgType>event</MsgType>"));                 // event without Event
  parse_error(wrap("<MsgType>event</MsgType><Event>SCAN</Event>"));  // SCAN without EventKey
  parse_error(wrap("<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>north</Latitude>"
                   "<Longitude>1</Longitude><Precision>1</Precision>"));
}

TEST(Inbound, RejectsDuplicateFields) {
  const auto e = parse_error(
      "<xml><ToUserName>g</ToUserName><FromUserName>o1</FromUserName><FromUserName>o2</FromUserName>"
      "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>unsubscribe</Event></xml>");
  EXPECT_NE(e.message.find("more than once"), std::string::npos);
}

TEST(Inbound, RejectsMalformedXml) {
  for (std::string_view bad : {"", "not xml", "<xml>", "<xml><ToUserName>g</xml>", "<xml></xml><xml></xml>",
                               "<xm", "<root><a>1</a></root>", "text<xml></xml>", "<xml><![CDATA[x</xml>"}) {
    const auto e = parse_error(bad);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(e.detail, -40002) << bad;
  }
}

TEST(Inbound, RefusesDoctypeEntitiesAndXxe) {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>" +
      wrap("<MsgType>text</MsgType><Content>&lol2;</Content><MsgId>1</MsgId>");
  EXPECT_NE(parse_error(laughs).message.find("DOCTYPE"), std::string::npos);
  const std::string xxe = "<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" +
                          wrap("<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId>");
  EXPECT_NE(parse_error(xxe).message.find("DOCTYPE"), std::string::npos);
  // An undeclared entity is never expanded into anything.
  auto r = parse_inbound(wrap("<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId>"));
  if (r) {
    EXPECT_EQ(std::get<TextMessage>(*r).content.find("root:"), std::string::npos);
  }
}

TEST(Inbound, RefusesOversizedAndDeepInput) {
  const std::string big = wrap("<MsgType>text</MsgType><Content>" + std::string(70 * 1024, 'a') + "</Content><MsgId>1</MsgId>");
  const auto e = parse_error(big);
  EXPECT_EQ(e.code, ErrorCode::kTooLarge);

  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<a>";  // 35 KB: under the size limit
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  EXPECT_NE(parse_error(wrap("<MsgType>text</MsgType><MsgId>1</MsgId>" + deep)).message.find("deeper"),
            std::string::npos);
  // Within the limit: the menu events nest 4 levels, which is fine.
  ParseOptions tight;
  tight.max_depth = 3;
  EXPECT_FALSE(parse_inbound(read_file("tests/data/pushes/pic_weixin.xml"), tight));
  EXPECT_TRUE(parse_inbound(read_file("tests/data/pushes/pic_weixin.xml")));
}

TEST(Inbound, RefusesInvalidUtf8AndNul) {
  for (std::string_view bad : {std::string_view("\xff"), std::string_view("\xc0\xaf"), std::string_view("\xe0\x80\xaf"),
                               std::string_view("\xed\xa0\x80"), std::string_view("\xf4\x90\x80\x80"),
                               std::string_view("\xe4\xbd"), std::string_view("a\0b", 3)}) {
    const auto e = parse_error(wrap("<MsgType>text</MsgType><Content>" + std::string(bad) + "</Content><MsgId>1</MsgId>"));
    EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
  }
}

TEST(Inbound, TooManyTopLevelElements) {
  std::string many;
  for (int i = 0; i < 70; ++i) many += "<F" + std::to_string(i) + ">x</F" + std::to_string(i) + ">";
  EXPECT_NE(parse_error(wrap("<MsgType>text</MsgType><MsgId>1</MsgId>" + many)).message.find("top-level"),
            std::string::npos);
}

TEST(EncryptedEnvelope, SafeAndCompatibleBodies) {
  auto safe = parse_encrypted_envelope("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[QUJD]]></Encrypt></xml>");
  ASSERT_TRUE(safe);
  EXPECT_EQ(safe->to_user, "gh_1");
  EXPECT_EQ(safe->encrypt, "QUJD");
  auto compat = parse_encrypted_envelope(read_file("tests/data/vectors/v1_push_body.xml"));
  ASSERT_TRUE(compat);
  EXPECT_EQ(compat->to_user, "gh_10f6c3c3ac5a");
  EXPECT_TRUE(compat->encrypt.starts_with("hyzAe4Oz"));
  EXPECT_FALSE(parse_encrypted_envelope("<xml><ToUserName>g</ToUserName></xml>"));
  EXPECT_FALSE(parse_encrypted_envelope("<xml><Encrypt></Encrypt></xml>"));
  EXPECT_FALSE(parse_encrypted_envelope("<!DOCTYPE x><xml><Encrypt>QUJD</Encrypt></xml>"));
}

}  // namespace
}  // namespace qrscene::wechat
