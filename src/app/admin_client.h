// The operators' CLI's side of the admin API, shared by `qrscene channel`, `stats`, `export`,
// `followers`, `conversions` and `qr render --channel`: where and who (Remote and its options),
// the client (Api), the filters the report endpoints share (StatsArgs), and the uploads and
// downloads (upload_csv, save).
//
// Where and who: --server (or QRSCENE_SERVER; default http://127.0.0.1:8080) and the token from
// QRSCENE_ADMIN_TOKEN or --token-file. Tables for people, --json for scripts. Exit codes: 0 done,
// 1 the service refused or some rows failed, 2 bad usage.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "wechat/http_transport.h"

namespace CLI {
class App;
}

namespace qrscene::net {
class CurlTransport;
}

namespace qrscene::app {

using Json = nlohmann::json;

struct Remote {
  std::string server;
  std::string token_file;
  std::string appid;
  bool json = false;
};

// Adds --server, --token-file, --appid and --json to `c`, filling `r`.
void add_remote_options(CLI::App& c, Remote& r);

// One admin API client per command run.
class Api {
 public:
  // The client, or nullopt after printing why (an unreadable token file, no token at all).
  static std::optional<Api> connect(const Remote& r);

  // The reply, or nullopt after printing why (the API's message, or the transport's).
  std::optional<wechat::HttpReply> call(const std::string& method, std::string path, std::string body = "",
                                        std::string type = "application/json");

  // call()'s body parsed as JSON (a discarded value when it is not JSON).
  std::optional<Json> json(const std::string& method, const std::string& path, std::string body = "");

 private:
  Api();
  std::shared_ptr<net::CurlTransport> transport_;
  std::string base_, token_, appid_;
};

// The filters of the report endpoints (stats, export, followers, conversions) and the stats
// command's own choices (--granularity, --by).
struct StatsArgs {
  Remote remote;
  std::string from, to, channel, group, owner, granularity = "day", by;
  bool reconcile = false;  // stats: beside WeChat's datacube instead
};

// The query string of `a`'s filters ("" when none is set, else "?from=…&…", percent-encoded).
std::string query(const StatsArgs& a);

// Adds --from, --to, --channel, --group and --owner to `c`, filling `a`.
void add_stats_filters(CLI::App& c, StatsArgs& a);

// The whole file at `path`, or kNotFound naming it.
Result<std::string> read_all(const std::string& path);

// Sends a CSV file in parts of `chunk` rows (each with the header), so that the bar moves and a
// bad part does not hold up the others. Each part's answer goes to `take`; its errors, which name
// lines of the part, are renumbered as lines of the file. Returns 0, 1 (a request or some rows
// failed) or 2 (bad file).
int upload_csv(Api& api, const std::string& file, const std::string& path, std::size_t chunk,
               std::vector<std::string>& errors, const std::function<void(const Json&)>& take);

// Writes what GET `path` answers to `file` ("" or "-": standard output, CSV only).
int save(Api& api, const std::string& path, const std::string& file, const std::string& format);

}  // namespace qrscene::app
