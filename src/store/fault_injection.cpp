#include "store/fault_injection.h"

#include <fmt/format.h>

#include <utility>

namespace qrscene::store {

Status FaultPlan::step() {
  const std::int64_t n = ++steps_;
  const std::int64_t from = fail_at_.load();
  if (from == 0 || n < from || n >= fail_to_.load()) return {};
  fired_ = true;
  return unexpected(ErrorCode::kUnavailable, fmt::format("injected fault at step {}", n));
}

namespace {

class FaultyStatement final : public StatementImpl {
 public:
  FaultyStatement(Statement inner, std::shared_ptr<FaultPlan> plan) : inner_(std::move(inner)), plan_(std::move(plan)) {}
  void bind(int index, std::int64_t value) override { inner_.bind(index, value); }
  void bind(int index, std::string_view value) override { inner_.bind(index, value); }
  void bind_null(int index) override { inner_.bind(index, std::nullopt); }
  Result<bool> step() override {
    QRSCENE_TRY(plan_->step());
    return inner_.step();
  }
  void reset() override { inner_.reset(); }
  std::int64_t int64(int column) const override { return inner_.int64(column); }
  std::string text(int column) const override { return inner_.text(column); }
  bool is_null(int column) const override { return inner_.is_null(column); }

 private:
  Statement inner_;
  std::shared_ptr<FaultPlan> plan_;
};

class FaultyDatabase final : public Database {
 public:
  FaultyDatabase(std::unique_ptr<Database> inner, std::shared_ptr<FaultPlan> plan)
      : inner_(std::move(inner)), plan_(std::move(plan)) {}
  Status exec(std::string_view sql) override {
    // A ROLLBACK always gets through: a fault there would only test the fault injection.
    if (sql != "ROLLBACK") QRSCENE_TRY(plan_->step());
    return inner_->exec(sql);
  }
  Result<Statement> prepare(std::string_view sql) override {
    QRSCENE_TRY(plan_->step());
    QRSCENE_ASSIGN_OR_RETURN(auto s, inner_->prepare(sql));
    return Statement(std::make_unique<FaultyStatement>(std::move(s), plan_));
  }
  std::int64_t changes() const override { return inner_->changes(); }
  Status begin() override {
    QRSCENE_TRY(plan_->step());
    return inner_->begin();
  }
  bool log_apart() const noexcept override { return inner_->log_apart(); }
  Status begin_append() override {
    QRSCENE_TRY(plan_->step());
    return inner_->begin_append();
  }
  std::string_view key_lock_sql() const override { return inner_->key_lock_sql(); }
  std::string_view log_append_lock_sql() const override { return inner_->log_append_lock_sql(); }
  std::string_view log_settle_lock_sql() const override { return inner_->log_settle_lock_sql(); }
  std::string_view leader_lock_sql() const override { return inner_->leader_lock_sql(); }
  Status relax_durability() override { return inner_->relax_durability(); }
  bool appends_many_rows() const override { return inner_->appends_many_rows(); }
  bool log_keys_unique() const override { return inner_->log_keys_unique(); }
  const std::string& name() const noexcept override { return inner_->name(); }

 private:
  std::unique_ptr<Database> inner_;
  std::shared_ptr<FaultPlan> plan_;
};

}  // namespace

std::unique_ptr<Database> with_faults(std::unique_ptr<Database> db, std::shared_ptr<FaultPlan> plan) {
  return std::make_unique<FaultyDatabase>(std::move(db), std::move(plan));
}

}  // namespace qrscene::store
