#include "app/admin_client.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "app/terminal.h"
#include "base/encoding.h"
#include "net/curl_transport.h"

namespace qrscene::app {

void add_remote_options(CLI::App& c, Remote& r) {
  c.add_option("--server", r.server, "the service's base URL (QRSCENE_SERVER; default http://127.0.0.1:8080)");
  c.add_option("--token-file", r.token_file, "a file holding the admin token (default: QRSCENE_ADMIN_TOKEN)");
  c.add_option("--appid", r.appid, "the account (needed when the service has several)");
  c.add_flag("--json", r.json, "print the API's JSON instead of a table");
}

// --- Api ---

Api::Api() : transport_(std::make_shared<net::CurlTransport>()) {}

std::optional<Api> Api::connect(const Remote& r) {
  Api api;
  api.base_ = !r.server.empty() ? r.server : (std::getenv("QRSCENE_SERVER") ? std::getenv("QRSCENE_SERVER") : "http://127.0.0.1:8080");
  while (!api.base_.empty() && api.base_.back() == '/') api.base_.pop_back();
  if (!r.token_file.empty()) {
    std::ifstream in(r.token_file);
    if (!in) {
      fmt::print(stderr, "cannot read the token file {}\n", r.token_file);
      return std::nullopt;
    }
    std::getline(in, api.token_);
  } else if (const char* t = std::getenv("QRSCENE_ADMIN_TOKEN")) {
    api.token_ = t;
  }
  if (api.token_.empty()) {
    fmt::print(stderr, "no admin token: set QRSCENE_ADMIN_TOKEN or pass --token-file (qrscene admin-token makes one)\n");
    return std::nullopt;
  }
  api.appid_ = r.appid;
  return api;
}

std::optional<wechat::HttpReply> Api::call(const std::string& method, std::string path, std::string body,
                                           std::string type) {
  if (!appid_.empty()) path += fmt::format("{}appid={}", path.find('?') == std::string::npos ? '?' : '&', appid_);
  wechat::HttpCall c;
  c.method = method;
  c.url = base_ + path;
  c.body = std::move(body);
  c.timeout = std::chrono::milliseconds(60'000);
  c.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!c.body.empty()) c.headers.emplace_back("Content-Type", type);
  auto r = transport_->send(c);
  if (!r) {
    fmt::print(stderr, "cannot reach {}: {}\n", base_, r.error().message);
    return std::nullopt;
  }
  if (r->status >= 400) {
    const Json j = Json::parse(r->body, nullptr, false);
    const std::string message =
        j.is_object() && j.contains("error") ? j["error"].value("message", r->body) : r->body;
    fmt::print(stderr, "{} {}: {} {}\n", method, path, r->status, message);
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<Json> Api::json(const std::string& method, const std::string& path, std::string body) {
  auto r = call(method, path, std::move(body));
  if (!r) return std::nullopt;
  return Json::parse(r->body, nullptr, false);
}

// --- report filters ---

std::string query(const StatsArgs& a) {
  std::string q;
  auto add = [&q](std::string_view k, const std::string& v) {
    if (!v.empty()) q += fmt::format("{}{}={}", q.empty() ? '?' : '&', k, percent_encode(v));
  };
  add("from", a.from);
  add("to", a.to);
  add("channel", a.channel);
  add("group", a.group);
  add("owner", a.owner);
  return q;
}

void add_stats_filters(CLI::App& c, StatsArgs& a) {
  c.add_option("--from", a.from, "first day, YYYY-MM-DD (default: 29 days ago)");
  c.add_option("--to", a.to, "last day, YYYY-MM-DD (default: today)");
  c.add_option("--channel", a.channel, "channel ids, comma-separated");
  c.add_option("--group", a.group, "only this group's channels");
  c.add_option("--owner", a.owner, "only this owner's channels");
}

// --- files ---

Result<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(ErrorCode::kNotFound, fmt::format("cannot read {}", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

int upload_csv(Api& api, const std::string& file, const std::string& path, std::size_t chunk,
               std::vector<std::string>& errors, const std::function<void(const Json&)>& take) {
  auto text = read_all(file);
  if (!text) {
    fmt::print(stderr, "{}\n", text.error().message);
    return 2;
  }
  // The file's rows (a quoted field may hold line ends) and the line each starts on.
  struct Row {
    std::string text;
    std::size_t line;
  };
  std::vector<Row> rows;
  std::string cur;
  bool quoted = false;
  std::size_t line = 1, starts = 1;
  for (char ch : *text) {
    if (ch == '"') quoted = !quoted;
    if (ch == '\n' && !quoted) {
      if (cur.find_first_not_of(" \r\t") != std::string::npos) rows.push_back(Row{cur, starts});
      cur.clear();
      starts = line + 1;
    } else {
      cur += ch;
    }
    if (ch == '\n') ++line;
  }
  if (cur.find_first_not_of(" \r\t") != std::string::npos) rows.push_back(Row{cur, starts});
  if (rows.size() < 2) {
    fmt::print(stderr, "{}: no rows under the header\n", file);
    return 2;
  }
  const Row& header = rows.front();
  Progress bar("importing", rows.size() - 1);
  for (std::size_t at = 1; at < rows.size(); at += chunk) {
    const std::size_t end = std::min(rows.size(), at + chunk);
    // The part, and for each of its lines the file's line.
    std::string part;
    std::vector<std::size_t> file_line{0};  // part lines count from 1
    auto add = [&](const Row& r) {
      part += r.text + "\n";
      const auto inner = static_cast<std::size_t>(std::count(r.text.begin(), r.text.end(), '\n'));
      for (std::size_t k = 0; k <= inner; ++k) file_line.push_back(r.line + k);
    };
    add(header);
    for (std::size_t i = at; i < end; ++i) add(rows[i]);
    auto r = api.call("POST", path, part, "text/csv");
    if (!r) return 1;
    const Json j = Json::parse(r->body, nullptr, false);
    take(j);
    for (const auto& e : j["errors"]) {
      const auto in_part = e.value("line", std::int64_t{0});
      const std::size_t at_line =
          in_part > 0 && static_cast<std::size_t>(in_part) < file_line.size() ? file_line[static_cast<std::size_t>(in_part)] : 0;
      std::string message = e.value("message", std::string());
      // A message that names the part's line ("line 3: …") names the file's instead.
      if (const std::string prefix = fmt::format("line {}: ", in_part); message.starts_with(prefix)) {
        message.erase(0, prefix.size());
      }
      errors.push_back(fmt::format("line {}: {}", at_line, message));
    }
    bar.update(end - 1);
  }
  return errors.empty() ? 0 : 1;
}

int save(Api& api, const std::string& path, const std::string& file, const std::string& format) {
  if ((file.empty() || file == "-") && format == "xlsx") {
    fmt::print(stderr, "--format xlsx needs --out FILE\n");
    return 2;
  }
  auto r = api.call("GET", path);
  if (!r) return 1;
  if (file.empty() || file == "-") {
    fmt::print("{}", r->body);
    return 0;
  }
  std::ofstream out(file, std::ios::binary);
  out << r->body;
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", file);
    return 1;
  }
  fmt::print(stderr, "wrote {} ({} bytes)\n", file, r->body.size());
  return 0;
}

}  // namespace qrscene::app
