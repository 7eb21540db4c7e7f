#include "store/postgres/pg_database.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cmath>
#include <cstdlib>
#include <pqxx/pqxx>

namespace qrscene::store::postgres {

struct PgDatabase::Rows {
  pqxx::result result;
};

struct PgDatabase::Connection {
  explicit Connection(const std::string& url) : conn(url), tx(conn, "qrscene") {}
  pqxx::connection conn;
  pqxx::nontransaction tx;
};

namespace {

// SQLSTATE classes a caller may retry: connection (08), transaction rollback — serialization,
// deadlock (40), insufficient resources (53), operator intervention — shutdown (57), lock not
// available (55P03).
Error pg_error(const pqxx::sql_error& e, std::string_view what) {
  const std::string& state = e.sqlstate();
  ErrorCode code = ErrorCode::kInvalidArgument;
  if (state == "23505") {
    code = ErrorCode::kAlreadyExists;
  } else if (state.starts_with("08") || state.starts_with("40") || state.starts_with("53") ||
             state.starts_with("57") || state == "55P03") {
    code = ErrorCode::kUnavailable;
  }
  std::string message = e.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return Error{code, fmt::format("postgresql: {}: {} (SQLSTATE {})", what.substr(0, 80), message, state), 0};
}

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PgDatabase& db, std::string name, std::string sql)
      : db_(db), name_(std::move(name)), sql_(std::move(sql)) {}

  void bind(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bind(int index, std::string_view value) override { slot(index) = std::string(value); }
  void bind_null(int index) override { slot(index) = std::nullopt; }

  Result<bool> step() override {
    if (!result_) {
      QRSCENE_ASSIGN_OR_RETURN(result_, db_.run(name_, sql_, params_));
      row_ = 0;
    } else {
      ++row_;
    }
    return row_ < result_->result.size();
  }

  void reset() override {
    result_.reset();
    params_.clear();
  }

  std::int64_t int64(int column) const override {
    const auto field = result_->result[static_cast<pqxx::result::size_type>(row_)][column];
    if (field.is_null()) return 0;
    const char* s = field.c_str();
    if (s[0] == 't' && s[1] == '\0') return 1;
    if (s[0] == 'f' && s[1] == '\0') return 0;
    char* end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    if (*end == '\0') return v;
    return std::llround(std::strtod(s, nullptr));  // numeric, e.g. SUM or AVG of bigint
  }
  std::string text(int column) const override {
    const auto field = result_->result[static_cast<pqxx::result::size_type>(row_)][column];
    return field.is_null() ? std::string() : std::string(field.c_str(), field.size());
  }
  bool is_null(int column) const override {
    return result_->result[static_cast<pqxx::result::size_type>(row_)][column].is_null();
  }

 private:
  std::optional<std::string>& slot(int index) {
    if (params_.size() < static_cast<std::size_t>(index)) params_.resize(static_cast<std::size_t>(index));
    return params_[static_cast<std::size_t>(index - 1)];
  }

  PgDatabase& db_;
  std::string name_;  // "" for a plain command
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  std::shared_ptr<const PgDatabase::Rows> result_;
  std::size_t row_ = 0;
};

bool preparable(std::string_view sql) {
  auto word = sql.substr(0, sql.find_first_of(" \n("));
  std::string upper(word);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "SELECT" || upper == "INSERT" || upper == "UPDATE" || upper == "DELETE" || upper == "WITH" ||
         upper == "VALUES";
}

}  // namespace

std::string number_parameters(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string describe_url(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return "postgresql (unreadable connection string)";
  }
  std::string host = "localhost", port = "5432", dbname, user;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || o->val[0] == '\0') continue;
    const std::string_view k = o->keyword;
    if (k == "host") host = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") dbname = o->val;
    if (k == "user") user = o->val;
  }
  PQconninfoFree(options);
  if (dbname.empty()) dbname = user;
  return fmt::format("postgresql://{}:{}/{}", host, port, dbname);
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(const std::string& url) {
  std::unique_ptr<PgDatabase> db(new PgDatabase(url, describe_url(url)));
  QRSCENE_TRY(db->connect());
  return db;
}

PgDatabase::PgDatabase(std::string url, std::string name) : url_(std::move(url)), name_(std::move(name)) {}

PgDatabase::~PgDatabase() = default;

Status PgDatabase::connect() {
  conn_.reset();
  prepared_.clear();
  try {
    conn_ = std::make_unique<Connection>(url_);
    conn_->tx.exec("SET client_min_messages = warning");
    return {};
  } catch (const pqxx::sql_error& e) {
    conn_.reset();
    return pg_error(e, "connect");
  } catch (const std::exception& e) {
    conn_.reset();
    std::string message = e.what();
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    return unexpected(ErrorCode::kUnavailable,
                      fmt::format("postgresql: cannot connect to {}: {} (is the server running, and the URL in "
                                  "[store] url right?)",
                                  name_, message));
  }
}

Result<std::shared_ptr<const PgDatabase::Rows>> PgDatabase::run(const std::string& prepared, const std::string& sql,
                                                            const std::vector<std::optional<std::string>>& params) {
  if (!conn_ || !conn_->conn.is_open()) QRSCENE_TRY(connect());
  try {
    pqxx::result r;
    if (prepared.empty()) {
      r = conn_->tx.exec(sql);
    } else {
      if (!prepared_.contains(prepared)) {
        conn_->conn.prepare(prepared, sql);
        prepared_.insert(prepared);
      }
      r = conn_->tx.exec_prepared(prepared, pqxx::prepare::make_dynamic_params(params));
    }
    changes_ = static_cast<std::int64_t>(r.affected_rows());
    return std::make_shared<const Rows>(Rows{std::move(r)});
  } catch (const pqxx::broken_connection& e) {
    conn_.reset();  // made again by the next statement
    return unexpected(ErrorCode::kUnavailable, fmt::format("postgresql: connection to {} lost: {}", name_, e.what()));
  } catch (const pqxx::sql_error& e) {
    return pg_error(e, sql);
  } catch (const std::exception& e) {
    return unexpected(ErrorCode::kInternal, fmt::format("postgresql: {}: {}", sql.substr(0, 80), e.what()));
  }
}

Status PgDatabase::exec(std::string_view sql) {
  QRSCENE_TRY(run("", std::string(sql), {}));
  return {};
}

Result<Statement> PgDatabase::prepare(std::string_view sql) {
  std::string numbered = number_parameters(sql);
  std::string name;
  if (preparable(numbered)) {  // one server-side statement per distinct SQL text
    auto [it, added] = names_.try_emplace(numbered, std::string());
    if (added) it->second = fmt::format("q{}", names_.size());
    name = it->second;
  }
  return Statement(std::make_unique<PgStatement>(*this, std::move(name), std::move(numbered)));
}

}  // namespace qrscene::store::postgres
