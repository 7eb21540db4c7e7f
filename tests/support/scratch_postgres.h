// ScratchPostgres: a database of a test's own on the PostgreSQL the test command started
// (ctest's postgres_start fixture writes its connection string to QRSCENE_TEST_POSTGRES_FILE; the
// QRSCENE_TEST_POSTGRES variable overrides it), created on construction and dropped on destruction.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "store/postgres/pg_database.h"

namespace qrscene::testing {

class ScratchPostgres {
 public:
  explicit ScratchPostgres(std::string prefix) {
    static std::atomic<int> counter{0};
    name_ = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    auto admin = store::postgres::PgDatabase::open(admin_url());
    EXPECT_TRUE(admin) << "no PostgreSQL to test on: run through ctest (its postgres fixture), or set "
                          "QRSCENE_TEST_POSTGRES to what tests/support/postgres start prints: "
                       << (admin ? "" : admin.error().to_string());
    if (admin) ok_ = static_cast<bool>((*admin)->exec("CREATE DATABASE " + name_));
  }
  ~ScratchPostgres() {
    if (auto admin = store::postgres::PgDatabase::open(admin_url()); admin) {
      (void)(*admin)->exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
  }
  ScratchPostgres(const ScratchPostgres&) = delete;
  ScratchPostgres& operator=(const ScratchPostgres&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::string url() const { return admin_url() + " dbname=" + name_; }

  static std::string admin_url() {
    if (const char* url = std::getenv("QRSCENE_TEST_POSTGRES"); url != nullptr) return url;
#ifdef QRSCENE_TEST_POSTGRES_FILE
    std::ifstream in(QRSCENE_TEST_POSTGRES_FILE);
    std::string url;
    std::getline(in, url);
    return url;
#else
    return "";
#endif
  }

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace qrscene::testing
