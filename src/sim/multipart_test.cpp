#include "sim/multipart.h"

#include <gtest/gtest.h>

#include <string>

namespace qrscene::sim {
namespace {

// What curl -F media=@poster.png sends (boundary as curl makes it), with binary bytes.
const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
std::string curl_body(const std::string& bytes) {
  return "--------------------------d74496d66958873e\r\n"
         "Content-Disposition: form-data; name=\"media\"; filename=\"poster.png\"\r\n"
         "Content-Type: image/png\r\n"
         "\r\n" +
         bytes +
         "\r\n"
         "--------------------------d74496d66958873e--\r\n";
}

TEST(FormBoundary, FromTheContentType) {
  EXPECT_EQ(*form_boundary("multipart/form-data; boundary=------------------------d74496d66958873e"),
            "------------------------d74496d66958873e");
  EXPECT_EQ(*form_boundary("Multipart/Form-Data;boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(*form_boundary("multipart/form-data; charset=utf-8; BOUNDARY=xyz"), "xyz");
  EXPECT_FALSE(form_boundary("application/json"));
  EXPECT_FALSE(form_boundary("multipart/mixed; boundary=xyz"));
  EXPECT_FALSE(form_boundary("multipart/form-data"));
  EXPECT_FALSE(form_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(form_boundary("multipart/form-data; boundary=\"unclosed"));
  EXPECT_FALSE(form_boundary("multipart/form-data; boundary=\"" + std::string(71, 'a') + "\""));
  EXPECT_FALSE(form_boundary("multipart/form-data; boundary=\"ends with space \""));
  EXPECT_FALSE(form_boundary("multipart/form-data; boundary=\"semi;colon\""));
}

TEST(FormData, ReadsAFileWithBinaryBytes) {
  const std::string bytes = kPng + "\r\n--not-the-boundary\r\n" + std::string("\0\xff", 2);
  const std::string body = curl_body(bytes);
  auto parts = parse_form_data(body, "------------------------d74496d66958873e");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].name, "media");
  EXPECT_EQ((*parts)[0].filename, "poster.png");
  EXPECT_EQ((*parts)[0].content_type, "image/png");
  EXPECT_EQ((*parts)[0].body, bytes);
}

TEST(FormData, SeveralPartsPreambleEpilogueQuotingAndPadding) {
  const std::string body =
      "this preamble is ignored\r\n"
      "--XyZ  \t\r\n"
      "content-disposition: form-data; name=description\r\n"
      "\r\n"
      "{\"title\":\"t\"}\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"media\"; filename=\"\\\"quoted\\\" 海报.jpg\"\r\n"
      "\r\n"
      "\r\n"  // an empty file
      "--XyZ--\r\n"
      "epilogue, ignored too";
  auto parts = parse_form_data(body, "XyZ");
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "description");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[0].body, "{\"title\":\"t\"}");
  EXPECT_EQ((*parts)[1].filename, "\"quoted\" 海报.jpg");
  EXPECT_TRUE((*parts)[1].content_type.empty());
  EXPECT_TRUE((*parts)[1].body.empty());
}

TEST(FormData, RefusesMalformedBodies) {
  const std::string ok = curl_body(kPng);
  const std::string b = "------------------------d74496d66958873e";
  ASSERT_TRUE(parse_form_data(ok, b));
  auto refused = [&](const std::string& body, const std::string& boundary) {
    auto r = parse_form_data(body, boundary);
    return !r && r.error().code == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused(ok, "another-boundary"));                                    // boundary absent
  EXPECT_TRUE(refused(ok.substr(0, ok.size() - 4), b));                             // no closing "--"
  EXPECT_TRUE(refused(ok.substr(0, ok.size() - 50), b));                            // cut off in the file
  EXPECT_TRUE(refused("--" + b + "--\r\n", b));                                     // no parts at all
  EXPECT_TRUE(refused("--" + b + "X\r\n", b));                                      // delimiter not followed by CRLF
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Disposition: form-data; name=\"m\"\r\nbody\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Type: image/png\r\n\r\nx\r\n--" + b + "--", b));  // no disposition
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Disposition: attachment; name=\"m\"\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Disposition: form-data;\r\n name=\"m\"\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nContent-Disposition: form-data; name=\"m\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nNoColonHere\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("--" + b + "\r\nX-Long: " + std::string(9000, 'a') + "\r\n\r\nx\r\n--" + b + "--", b));
  EXPECT_TRUE(refused("", b));
  // At most max_parts parts.
  std::string many;
  for (int i = 0; i < 3; ++i) many += "--" + b + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n";
  many += "--" + b + "--";
  EXPECT_TRUE(parse_form_data(many, b, 3));
  EXPECT_FALSE(parse_form_data(many, b, 2));
}

}  // namespace
}  // namespace qrscene::sim
