#include "app/serve_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <memory>

#include "app/service_runtime.h"
#include "base/clock.h"
#include "config/config.h"
#include "net/curl_transport.h"
#include "store/migrations.h"
#include "store/postgres/pg_database.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_database.h"
#include "store/sqlite/sqlite_store.h"

namespace qrscene::app {
namespace {

struct ServeSettings {
  std::string config_path;
  std::optional<int> port;
};

Result<config::Config> load(const ServeSettings& s) {
  QRSCENE_ASSIGN_OR_RETURN(auto c, config::load_config(s.config_path, config::process_environment()));
  if (s.port) c.server.port = *s.port;
  return c;
}

// Which store, for messages: the SQLite file or the PostgreSQL server (never its password).
std::string describe_store(const config::Config& c) {
  if (c.store.backend == config::StoreBackend::kPostgres) return store::postgres::describe_url(c.store.url.reveal());
  return c.store.path;
}

}  // namespace

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_stop() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

void configure_serve_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<ServeSettings>();
  cmd.add_option("--config", s->config_path, "the TOML configuration (docs/configuration.md)")->required();
  cmd.add_option("--port", s->port, "listen on this port instead of [server] port")->check(CLI::Range(0, 65535));
  run = [s] {
    auto c = load(*s);
    if (!c) {
      fmt::print(stderr, "qrscene serve: {}\n", c.error().message);
      return 2;
    }
    block_stop_signals();
    net::CurlTransport transport;
    auto rt = ServiceRuntime::start(*c, SystemClock::instance(), transport);
    if (!rt) {
      fmt::print(stderr, "qrscene serve: {}\n", rt.error().message);
      return 2;
    }
    fmt::print("qrscene serve: listening on {} (store {}, {} account{})\n", (*rt)->base_url(), describe_store(*c),
               c->accounts.size(), c->accounts.size() == 1 ? "" : "s");
    for (const auto& a : c->accounts) {
      fmt::print("  callback URL for {}: {}/wechat/{} ({} mode)\n", a.appid, (*rt)->base_url(), a.appid, a.mode);
    }
    std::fflush(stdout);
    const int signal = wait_for_stop();
    fmt::print("qrscene serve: {} received, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
    (*rt)->stop();
    return 0;
  };
}

void configure_check_config_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<ServeSettings>();
  cmd.add_option("--config", s->config_path, "the TOML configuration (docs/configuration.md)")->required();
  run = [s] {
    auto c = load(*s);
    if (!c) {
      fmt::print(stderr, "qrscene check-config: {}\n", c.error().message);
      return 2;
    }
    if (c->accounts.empty()) {
      fmt::print(stderr, "qrscene check-config: {}: no [[accounts]]: the service would have nothing to serve\n",
                 s->config_path);
      return 2;
    }
    fmt::print("{}: ok\n", s->config_path);
    fmt::print("  listen {}:{} with {} threads; store {} ({})\n", c->server.address, c->server.port,
               c->server.threads, describe_store(*c), c->store.durable ? "durable" : "not durable: synchronous=NORMAL");
    fmt::print("  WeChat API {} ({} tokens); privacy on unfollow: {}; webhook: {}\n", c->wechat.api_base,
               config::to_string(c->wechat.token_mode), config::to_string(c->privacy.on_unfollow),
               c->jobs.webhook_url.empty() ? "none" : c->jobs.webhook_url);
    for (const auto& a : c->accounts) {
      fmt::print("  account {}{}: {} mode, secret {}, callback path /wechat/{}{}\n", a.appid,
                 a.name.empty() ? "" : " (" + a.name + ")", a.mode, a.secret.empty() ? "missing (pushes only)" : "set",
                 a.appid, a.previous_encoding_aes_key.empty() ? "" : ", previous AES key accepted for now");
      if (a.token.empty()) {
        fmt::print(stderr, "qrscene check-config: account {}: token is missing (the Token of WeChat's console)\n",
                   a.appid);
        return 2;
      }
    }
    return 0;
  };
}

}  // namespace qrscene::app

namespace qrscene::app {

void configure_migrate_command(CLI::App& cmd, std::function<int()>& run) {
  auto s = std::make_shared<ServeSettings>();
  auto check = std::make_shared<bool>(false);
  cmd.add_option("--config", s->config_path, "the TOML configuration (docs/configuration.md)")->required();
  cmd.add_flag("--check", *check, "only tell whether the schema is current (exit 1 when it is behind)");
  run = [s, check] {
    auto c = load(*s);
    if (!c) {
      fmt::print(stderr, "qrscene migrate: {}\n", c.error().message);
      return 2;
    }
    const bool postgres = c->store.backend == config::StoreBackend::kPostgres;
    auto open = [&]() -> Result<std::unique_ptr<store::Database>> {
      if (postgres) {
        QRSCENE_ASSIGN_OR_RETURN(auto pg, store::postgres::PgDatabase::open(c->store.url.reveal()));
        return std::unique_ptr<store::Database>(std::move(pg));
      }
      store::sqlite::DatabaseOptions with_log;
      with_log.log_path = store::sqlite::log_path_for(c->store.path);
      QRSCENE_ASSIGN_OR_RETURN(auto file, store::sqlite::SqliteDatabase::open(c->store.path, with_log));
      return std::unique_ptr<store::Database>(std::move(file));
    };
    auto db = open();
    if (!db) {
      fmt::print(stderr, "qrscene migrate: {}\n", db.error().message);
      return 2;
    }
    const auto& all = postgres ? store::postgres::postgres_migrations() : store::migrations();
    auto before = store::schema_version(**db);
    if (!before) {
      fmt::print(stderr, "qrscene migrate: {}\n", before.error().message);
      return 2;
    }
    if (*check) {
      auto current = store::check_migrated(**db, all);
      if (!current) {
        fmt::print(stderr, "qrscene migrate: {}\n", current.error().message);
        return 1;
      }
      fmt::print("{}: schema version {}, current\n", describe_store(*c), *before);
      return 0;
    }
    auto after = postgres ? store::migrate(**db, all)
                          : store::sqlite::migrate_with_log(static_cast<store::sqlite::SqliteDatabase&>(**db));
    if (!after) {
      fmt::print(stderr, "qrscene migrate: {}\n", after.error().message);
      return 2;
    }
    if (*after == *before) {
      fmt::print("{}: schema version {}, already current\n", describe_store(*c), *after);
    } else {
      fmt::print("{}: schema version {} → {}\n", describe_store(*c), *before, *after);
      for (const auto& m : all) {
        if (m.version > *before && m.version <= *after) fmt::print("  {} {}\n", m.version, m.name);
      }
    }
    return 0;
  };
}

}  // namespace qrscene::app
