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
                {"field": "spend_cents", "message": "must be 0..1000000000000", "code": "invalid"},
                {"field": "name", "message": "required", "code": "invalid"},
                {"field": "name", "message": "too long", "code": "invalid"}])"));
}

// Every problem has a stable code ("invalid" when nothing more precise is known), and "params" when
// its text needs figures: the dashboard shows its own words by code.
TEST(ErrorResponse, EachProblemHasACodeAndItsParams) {
  const auto r = error_response(field_errors({{"name", "required", "required"},
                                              {"name", "at most 200 bytes, got 201", "too_long", {{"max", "200"}}},
                                              {"expire_seconds", "must be 60..2592000", "out_of_range",
                                               {{"min", "60"}, {"max", "2592000"}}},
                                              {"colour", "unknown field", "unknown_field"}}));
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["problems"], nlohmann::json::parse(R"([
                {"field": "name", "message": "required", "code": "required"},
                {"field": "name", "message": "at most 200 bytes, got 201", "code": "too_long",
                 "params": {"max": "200"}},
                {"field": "expire_seconds", "message": "must be 60..2592000", "code": "out_of_range",
                 "params": {"min": "60", "max": "2592000"}},
                {"field": "colour", "message": "unknown field", "code": "unknown_field"}])"));
  // A worded error lists each of its fields with the code.
  const auto scene = nlohmann::json::parse(
      error_response(worded_field_error({"scene"}, "string scenes starting with 'qrl_' are kept", "scene_reserved",
                                        {{"prefix", "qrl_"}}))
          .body);
  EXPECT_EQ(scene["error"]["problems"][0]["code"], "scene_reserved");
  EXPECT_EQ(scene["error"]["problems"][0]["params"]["prefix"], "qrl_");
  // Codes come through Fields too, its own and those given to it.
  const auto j = nlohmann::json::parse(R"({"name": 7, "count": "x", "on": "yes", "extra": 1})");
  Fields f(j, {"name", "count", "on"});
  (void)f.text("name");
  (void)f.integer("count");
  (void)f.boolean("on");
  f.problem(FieldError{"scene", "reserved", "scene_reserved", {{"prefix", "qrl_"}}});
  const auto fields = nlohmann::json::parse(error_response(f.status().error()).body)["error"]["problems"];
  std::vector<std::string> codes;
  for (const auto& p : fields) codes.push_back(p["code"]);
  EXPECT_EQ(codes, (std::vector<std::string>{"unknown_field", "not_string", "not_integer", "not_boolean",
                                             "scene_reserved"}));
  EXPECT_EQ(fields[4]["params"]["prefix"], "qrl_");
  net::HttpRequest not_json;
  not_json.body = "{nope";
  EXPECT_EQ(parse_body(not_json).error().fields.at(0).code, "not_json");
}

TEST(ErrorResponse, QueryParametersHaveCodes) {
  net::HttpRequest r;
  r.query = "from=2024-13-01&by=week&channel=1,x";
  auto date = range_query(r, "wx1", 20'000);
  ASSERT_FALSE(date);
  EXPECT_EQ(date.error().fields.at(0).code, "not_date");
  r.query = "from=2024-05-02&to=2024-05-01";
  EXPECT_EQ(range_query(r, "wx1", 20'000).error().fields.at(0).code, "range_reversed");
  r.query = "from=2000-01-01&to=2024-05-01";
  auto long_range = range_query(r, "wx1", 20'000);
  EXPECT_EQ(long_range.error().fields.at(0).code, "range_too_long");
  EXPECT_EQ(long_range.error().fields.at(0).params, (ProblemParams{{"max_days", "3661"}}));
  r.query = "channel=1,x";
  EXPECT_EQ(range_query(r, "wx1", 20'000).error().fields.at(0).code, "not_id_list");
  r.query = "by=week";
  auto by = breakdown_from(r);
  EXPECT_EQ(by.error().fields.at(0).code, "not_one_of");
  EXPECT_EQ(by.error().fields.at(0).params, (ProblemParams{{"allowed", "channel,group,owner"}}));
}

// A failed row of an import names its field and code, or the error's own code when it has no field.
TEST(ImportRows, ARowErrorNamesItsFieldAndCode) {
  const auto bad = row_error(3, 4, field_errors({{"kind", "must be temporary or permanent, got 'weekly'", "not_one_of",
                                                  {{"allowed", "temporary,permanent"}}},
                                                 {"name", "required", "required"}}));
  EXPECT_EQ(bad["row"], 3);
  EXPECT_EQ(bad["line"], 4);
  EXPECT_EQ(bad["field"], "kind");
  EXPECT_EQ(bad["code"], "not_one_of");
  ASSERT_EQ(bad["problems"].size(), 2u);
  EXPECT_EQ(bad["problems"][0]["params"]["allowed"], "temporary,permanent");
  EXPECT_EQ(bad["problems"][1]["code"], "required");
  const auto held = row_error(2, 2, Error{ErrorCode::kAlreadyExists, "scene 'a' belongs to channel 7 (A)"});
  EXPECT_TRUE(held["field"].is_null());
  EXPECT_EQ(held["code"], "already_exists");
  EXPECT_EQ(held["message"], "scene 'a' belongs to channel 7 (A)");
  EXPECT_EQ(held["problems"], nlohmann::json::array());
  // A database's text stays out of a row as it does out of any answer.
  const auto inside = row_error(2, 2, Error{ErrorCode::kInvalidArgument, "sqlite: INSERT INTO channels …: full"});
  EXPECT_EQ(inside["code"], "internal");
  EXPECT_EQ(inside["message"].get<std::string>().find("sqlite"), std::string::npos);
  // An unclosed quote is a problem of the upload's own.
  auto upload = read_csv_upload("name\n\"A\nB\n");
  ASSERT_TRUE(upload);
  ASSERT_EQ(upload->errors.size(), 1u);
  EXPECT_EQ(upload->errors[0]["code"], "unclosed_quote");
  EXPECT_EQ(upload->errors[0]["field"], "csv");
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
  // Codes: a word is not_integer, a number outside the bounds out_of_range; both give the bounds.
  EXPECT_EQ(bad.error().fields[0].code, "not_integer");
  EXPECT_EQ(bad.error().fields[0].params, (ProblemParams{{"min", "1"}, {"max", "200"}}));
  const auto outside = int_param(r, "size", 300, 64, 1024);
  EXPECT_EQ(outside.error().fields.at(0).code, "out_of_range");
  EXPECT_EQ(outside.error().fields.at(0).params, (ProblemParams{{"min", "64"}, {"max", "1024"}}));
  EXPECT_EQ(int_param(r, "big", 0).error().fields.at(0).code, "not_integer");
  EXPECT_TRUE(int_param(r, "big", 0).error().fields.at(0).params.empty());
}

}  // namespace
}  // namespace qrscene::service
