#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace qrscene {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return unexpected(ErrorCode::kInvalidArgument, "must be positive", -7);
  return v;
}

Result<int> doubled(int v) {
  QRSCENE_ASSIGN_OR_RETURN(const int p, parse_positive(v));
  return p * 2;
}

Status check(int v) {
  QRSCENE_TRY(parse_positive(v));
  return {};
}

TEST(Result, HoldsValueOrError) {
  const Result<int> ok = 3;
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 3);
  EXPECT_EQ(ok.value_or(9), 3);

  const Result<int> bad = parse_positive(0);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().detail, -7);
  EXPECT_EQ(bad.value_or(9), 9);
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(*doubled(4), 8);
  const auto e = doubled(-1);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "must be positive");
  EXPECT_TRUE(check(1));
  EXPECT_FALSE(check(0));
  EXPECT_EQ(check(0).error().code, ErrorCode::kInvalidArgument);
}

TEST(Result, MovesOnlyTypes) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Status, DefaultIsSuccess) {
  const Status s;
  EXPECT_TRUE(s.has_value());
  const Status f = unexpected(ErrorCode::kUnavailable, "db down");
  EXPECT_FALSE(f.has_value());
  EXPECT_EQ(f.error().to_string(), "unavailable: db down");
}

TEST(Error, ToStringNamesCodeAndDetail) {
  EXPECT_EQ((Error{ErrorCode::kInvalidArgument, "bad padding", -40008}).to_string(),
            "invalid_argument (-40008): bad padding");
  EXPECT_EQ(error_code_name(ErrorCode::kDeadlineExceeded), "deadline_exceeded");
  EXPECT_EQ(error_code_name(ErrorCode::kTooLarge), "too_large");
}

TEST(FieldError, OneFieldReadsAsFieldColonMessage) {
  const Error e = field_error("name", "required");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "name: required");
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].field, "name");
  EXPECT_EQ(e.fields[0].message, "required");
  EXPECT_EQ(e.detail, 0);
}

TEST(FieldError, SeveralAreOneLineEachAndKeepTheirFields) {
  const Error e =
      field_errors({{"spend_cents", "must be 0..1000000000000"}, {"name", "required"}, {"name", "too long"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "spend_cents: must be 0..1000000000000\nname: required\nname: too long");
  ASSERT_EQ(e.fields.size(), 3u);
  EXPECT_EQ(e.fields[0].field, "spend_cents");
  EXPECT_EQ(e.fields[0].message, "must be 0..1000000000000");
  EXPECT_EQ(e.fields[2].field, "name");
  EXPECT_EQ(e.fields[2].message, "too long");
  // A problem of no field is a line of its own and is not listed.
  const Error header = field_errors({{"", "User-Agent header: must be UTF-8 text"}, {"purpose", "login or bind"}});
  EXPECT_EQ(header.message, "User-Agent header: must be UTF-8 text\npurpose: login or bind");
  ASSERT_EQ(header.fields.size(), 1u);
  EXPECT_EQ(header.fields[0].field, "purpose");
}

TEST(FieldError, WordedKeepsTheMessageAndListsEachField) {
  const Error e = worded_field_error({"from", "to"}, "WeChat's datacube answers at most 7 days: narrow from/to");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "WeChat's datacube answers at most 7 days: narrow from/to");
  ASSERT_EQ(e.fields.size(), 2u);
  EXPECT_EQ(e.fields[0].field, "from");
  EXPECT_EQ(e.fields[1].field, "to");
  EXPECT_EQ(e.fields[1].message, e.message);
}

TEST(FieldError, PlainErrorsCarryNoFieldsAndFieldsTravelThroughTheMacros) {
  EXPECT_TRUE(unexpected(ErrorCode::kInvalidArgument, "name: required").fields.empty());
  EXPECT_TRUE((Error{ErrorCode::kInvalidArgument, "bad padding", -40008}).fields.empty());
  const auto through = []() -> Status {
    QRSCENE_TRY(Status(field_error("scene", "must be an integer or a string")));
    return {};
  }();
  ASSERT_FALSE(through);
  ASSERT_EQ(through.error().fields.size(), 1u);
  EXPECT_EQ(through.error().fields[0].field, "scene");
}

}  // namespace
}  // namespace qrscene
