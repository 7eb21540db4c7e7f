#include "service/api_support.h"
#include "service/table_export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace qrscene::service {
namespace {

TEST(ErrorResponse, NamesTheFieldsOfABadRequest) {
  const auto r = error_response(
      field_errors({{"spend_cents", "must be 0..1000000000000"}, {"name", "required"}, {"name", "too long"}}));
  EXPECT_EQ(r.status, 400u);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["message"], "spend_cents: must be 0..1000000000000\nname: required\nname: too long");
  // Each field once, in order; each problem with its own message, for a client to translate.
  EXPECT_EQ(body["error"]["fields"], nlohmann::json::array({"spend_cents", "name"}));
  EXPECT_EQ(body["error"]["problems"], nlohmann::json::parse(R"([
                {"field": "spend_cents", "message": "must be 0..1000000000000"},
                {"field": "name", "message": "required"},
                {"field": "name", "message": "too long"}])"));
}

// The fields come from the error, never from its text: a message that merely reads "x: y" names none.
TEST(ErrorResponse, AMessageThatLooksLikeAFieldNamesNone) {
  const auto r = error_response(invalid("spend_cents: must be 0..1000000000000\nname: required"));
  EXPECT_EQ(r.status, 400u);
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["fields"], nlohmann::json::array());
  EXPECT_EQ(body["error"]["problems"], nlohmann::json::array());
  // A field named in other words is listed all the same.
  const auto worded = nlohmann::json::parse(
      error_response(worded_field_error({"scene"}, "scene '12a' is not a whole number")).body);
  EXPECT_EQ(worded["error"]["fields"], nlohmann::json::array({"scene"}));
  EXPECT_EQ(worded["error"]["problems"][0]["message"], "scene '12a' is not a whole number");
  // Errors of other kinds keep their plain shape.
  const auto missing = nlohmann::json::parse(error_response(Error{ErrorCode::kNotFound, "appid: no account x"}).body);
  EXPECT_FALSE(missing["error"].contains("fields"));
}

// A database's message reached the API: "sqlite: SELECT COALESCE(SUM(c.spend_cents), 0) …: integer overflow".
TEST(ErrorResponse, NeverCarriesADatabasesText) {
  const std::vector<Error> inside{
      {ErrorCode::kInvalidArgument, "sqlite: SELECT COALESCE(SUM(c.spend_cents), 0) FROM channels c: integer overflow"},
      {ErrorCode::kInvalidArgument, "postgresql: INSERT INTO events …: value out of range (SQLSTATE 22003)"},
      {ErrorCode::kUnavailable, "sqlite: UPDATE channels SET …: database is locked"},
      {ErrorCode::kInternal, "the writer thread stopped: std::bad_alloc"},
  };
  for (const auto& e : inside) {
    const auto r = error_response(e);
    EXPECT_TRUE(r.status == 500u || r.status == 503u) << e.message << " → " << r.status;
    for (const char* leak : {"sqlite", "postgresql", "SELECT", "INSERT", "UPDATE", "SQLSTATE", "bad_alloc"}) {
      EXPECT_EQ(r.body.find(leak), std::string::npos) << r.body;
    }
  }
  EXPECT_EQ(error_response(inside[2]).status, 503u);  // still "retry", without the why
  // Wrapped by a caller, it is still the database's text; a user's words that look like SQL are not.
  EXPECT_EQ(error_response(Error{ErrorCode::kAlreadyExists, "undoing a failed event: sqlite: COMMIT: disk I/O error"})
                .status,
            500u);
  const Error named{ErrorCode::kAlreadyExists, "scene 'UPDATE list' belongs to channel 7 (SELECT the best)"};
  EXPECT_EQ(public_error(named).message, named.message);
  EXPECT_EQ(error_response(named).status, 409u);
  // The reference in the answer is the one in the log line.
  EXPECT_NE(public_error(inside[0]).message.find("(ref "), std::string::npos);
}


// OWASP's list of characters that start a formula includes TAB and CR; separators get quotes.
TEST(CsvExport, DefusesEveryFormulaStartAndQuotesEverySeparator) {
  for (std::string_view lead : {"=", "+", "-", "@", "\t", "\r"}) {
    const std::string field = csv_field(std::string(lead) + "cmd|' /C calc'!A0");
    EXPECT_TRUE(field.starts_with("'") || field.starts_with("\"'")) << field;
  }
  EXPECT_EQ(csv_field("a;b"), "\"a;b\"");
  EXPECT_EQ(csv_field("a\tb"), "\"a\tb\"");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("线下"), "线下");
}


TEST(IntParam, FallbackWhenAbsentAndTheNameWhenWrong) {
  net::HttpRequest r;
  r.query = "page=3&per_page=x&size=-7&big=99999999999999999999";
  EXPECT_EQ(*int_param(r, "page", 1, 1, 1'000'000), 3);
  EXPECT_EQ(*int_param(r, "absent", 50), 50);
  EXPECT_EQ(*int_param(r, "size", 0), -7);
  auto bad = int_param(r, "per_page", 50, 1, 200);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "per_page: must be an integer in 1..200, got 'x'");
  ASSERT_EQ(bad.error().fields.size(), 1u);
  EXPECT_EQ(bad.error().fields[0].field, "per_page");
  EXPECT_EQ(bad.error().fields[0].message, "must be an integer in 1..200, got 'x'");
  EXPECT_EQ(int_param(r, "size", 300, 64, 1024).error().code, ErrorCode::kInvalidArgument);  // out of range
  EXPECT_EQ(int_param(r, "big", 0).error().message, "big: '99999999999999999999' is not an integer");
}

}  // namespace
}  // namespace qrscene::service
