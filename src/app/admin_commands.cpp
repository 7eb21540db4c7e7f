#include "app/admin_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/encoding.h"
#include "domain/conversion.h"
#include "net/curl_transport.h"
#include "qr/qr_render.h"
#include "service/admin_api.h"

namespace qrscene::app {
namespace {

using Json = nlohmann::json;

struct Remote {
  std::string server;
  std::string token_file;
  std::string appid;
  bool json = false;
};

void add_remote_options(CLI::App& c, Remote& r) {
  c.add_option("--server", r.server, "the service's base URL (QRSCENE_SERVER; default http://127.0.0.1:8080)");
  c.add_option("--token-file", r.token_file, "a file holding the admin token (default: QRSCENE_ADMIN_TOKEN)");
  c.add_option("--appid", r.appid, "the account (needed when the service has several)");
  c.add_flag("--json", r.json, "print the API's JSON instead of a table");
}

// One admin API client per command run.
class Api {
 public:
  static std::optional<Api> connect(const Remote& r) {
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

  // The reply, or nullopt after printing why (the API's message, or the transport's).
  std::optional<wechat::HttpReply> call(const std::string& method, std::string path, std::string body = "",
                                        std::string type = "application/json") {
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

  std::optional<Json> json(const std::string& method, const std::string& path, std::string body = "") {
    auto r = call(method, path, std::move(body));
    if (!r) return std::nullopt;
    return Json::parse(r->body, nullptr, false);
  }

 private:
  Api() : transport_(std::make_shared<net::CurlTransport>()) {}
  std::shared_ptr<net::CurlTransport> transport_;
  std::string base_, token_, appid_;
};

// A plain table: columns sized to their widest cell (counting a CJK character as two).
std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

void print_table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = display_width(head[i]);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - display_width(cells[i]) + 2, ' ');
    }
    fmt::print("{}\n", out);
  };
  line(head);
  for (const auto& r : rows) line(r);
}

std::string str(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "–";
  return j.dump();
}

// A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise.
class Progress {
 public:
  Progress(std::string label, std::size_t total) : label_(std::move(label)), total_(std::max<std::size_t>(total, 1)) {}
  void update(std::size_t done) {
    const auto tenth = done * 10 / total_;
    if (::isatty(STDERR_FILENO)) {
      const std::size_t filled = done * 30 / total_;
      fmt::print(stderr, "\r{} [{}{}] {}/{}", label_, std::string(filled, '#'), std::string(30 - filled, '.'), done,
                 total_);
      if (done >= total_) fmt::print(stderr, "\n");
    } else if (tenth != last_tenth_ || done >= total_) {
      fmt::print(stderr, "{}: {}/{}\n", label_, done, total_);
    }
    last_tenth_ = tenth;
  }

 private:
  std::string label_;
  std::size_t total_;
  std::size_t last_tenth_ = static_cast<std::size_t>(-1);
};

std::vector<std::string> channel_row(const Json& c) {
  const Json t = c.value("totals", Json{{"scans", 0}, {"new_follows", 0}, {"unfollows", 0}, {"net", 0}});
  return {std::to_string(c["id"].get<std::int64_t>()), str(c["name"]), str(c["group"]), str(c["owner"]),
          str(c["kind"]), str(c["scene"]), str(c["status"]), std::to_string(t["new_follows"].get<std::int64_t>()),
          std::to_string(t["unfollows"].get<std::int64_t>()), std::to_string(t["net"].get<std::int64_t>())};
}

const std::vector<std::string> kChannelHead = {"id", "name", "group", "owner", "kind", "scene",
                                               "status", "new", "unfollows", "net"};

Result<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(ErrorCode::kNotFound, fmt::format("cannot read {}", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Sends a CSV file in parts of `chunk` rows (each with the header), so that the bar moves and a
// bad part does not hold up the others. Each part's answer goes to `take`; its errors, which name
// lines of the part, are renumbered as lines of the file. Returns 0, 1 (a request or some rows
// failed) or 2 (bad file).
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

// --- channel ---

struct ChannelArgs {
  Remote remote;
  std::string action;
  std::int64_t id = 0;
  std::string name, group, owner, kind = "temporary", scene, reply, reply_scan, tag, file;
  bool evergreen = false;
  double spend = -1;
  std::size_t chunk = 50;
};

int run_channel(ChannelArgs& a) {
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  if (a.action == "list") {
    auto list = api->json("GET", "/api/v1/channels");
    if (!list) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", list->dump(2));
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *list) rows.push_back(channel_row(c));
    print_table(kChannelHead, rows);
    return 0;
  }
  if (a.action == "create") {
    Json body{{"name", a.name}, {"group", a.group}, {"owner", a.owner}, {"kind", a.kind}};
    if (!a.scene.empty()) {
      const bool digits = a.scene.find_first_not_of("0123456789") == std::string::npos && a.scene.size() < 11;
      body["scene"] = digits ? Json(std::stoll(a.scene)) : Json(a.scene);
    }
    if (!a.reply.empty()) body["on_subscribe"] = a.reply;
    if (!a.reply_scan.empty()) body["on_scan"] = a.reply_scan;
    if (!a.tag.empty()) body["tag"] = a.tag;
    if (a.evergreen) body["evergreen"] = true;
    if (a.spend >= 0) body["spend_cents"] = std::llround(a.spend * 100);
    auto made = api->json("POST", "/api/v1/channels", body.dump());
    if (!made) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", made->dump(2));
    } else {
      print_table(kChannelHead, {channel_row(*made)});
      fmt::print("url: {}\n", str((*made)["url"]));
    }
    return 0;
  }
  if (a.action == "import") {
    std::size_t created = 0;
    std::vector<std::string> errors;
    const int status = upload_csv(*api, a.file, "/api/v1/channels/import", a.chunk, errors,
                                  [&created](const Json& j) { created += j["created"].size(); });
    if (status == 2) return 2;
    fmt::print("{} created, {} failed\n", created, errors.size());
    for (const auto& e : errors) fmt::print("  {}\n", e);
    return status;
  }
  // show, pause, resume, retire
  std::optional<Json> c;
  if (a.action == "show") {
    c = api->json("GET", fmt::format("/api/v1/channels/{}", a.id));
  } else {
    c = api->json("POST", fmt::format("/api/v1/channels/{}/{}", a.id, a.action));
  }
  if (!c) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", c->dump(2));
    return 0;
  }
  print_table(kChannelHead, {channel_row(*c)});
  fmt::print("url: {}\nreply on follow: {}\nreply on scan: {}\n", str((*c)["url"]), (*c)["on_subscribe"].dump(),
             (*c)["on_scan"].dump());
  return 0;
}

// --- stats ---

struct StatsArgs {
  Remote remote;
  std::string from, to, channel, group, owner, granularity = "day", by;
};

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

std::string percent(const Json& v) { return v.is_null() ? "–" : fmt::format("{:.1f}%", v.get<double>() * 100); }

int run_stats(StatsArgs& a) {
  auto api = Api::connect(a.remote);
  if (!api) return 2;
  if (!a.by.empty()) {
    std::string q = query(a);
    q += fmt::format("{}by={}", q.empty() ? '?' : '&', a.by);
    auto rows = api->json("GET", "/api/v1/stats/breakdown" + q);
    if (!rows) return 1;
    if (a.remote.json) {
      fmt::print("{}\n", rows->dump(2));
      return 0;
    }
    std::vector<std::vector<std::string>> out;
    for (const auto& r : *rows) {
      out.push_back({str(r["key"]), std::to_string(r["channels"].get<std::int64_t>()), std::to_string(r["scans"].get<std::int64_t>()),
                     std::to_string(r["new_follows"].get<std::int64_t>()), std::to_string(r["unfollows"].get<std::int64_t>()),
                     std::to_string(r["net"].get<std::int64_t>())});
    }
    print_table({a.by, "channels", "scans", "new", "unfollows", "net"}, out);
    return 0;
  }
  std::string q = query(a);
  q += fmt::format("{}granularity={}", q.empty() ? '?' : '&', a.granularity);
  auto s = api->json("GET", "/api/v1/stats" + q);
  if (!s) return 1;
  if (a.remote.json) {
    fmt::print("{}\n", s->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : (*s)["series"]) {
    rows.push_back({str(p["label"]), std::to_string(p["scans"].get<std::int64_t>()),
                    std::to_string(p["new_follows"].get<std::int64_t>()), std::to_string(p["existing_scans"].get<std::int64_t>()),
                    std::to_string(p["unfollows"].get<std::int64_t>()), std::to_string(p["net"].get<std::int64_t>())});
  }
  const Json& t = (*s)["totals"];
  rows.push_back({"total", std::to_string(t["scans"].get<std::int64_t>()), std::to_string(t["new_follows"].get<std::int64_t>()),
                  std::to_string(t["existing_scans"].get<std::int64_t>()), std::to_string(t["unfollows"].get<std::int64_t>()),
                  std::to_string(t["net"].get<std::int64_t>())});
  print_table({a.granularity, "scans", "new", "follower scans", "unfollows", "net"}, rows);
  const Json& r = (*s)["retention"];
  fmt::print("\nunique scanners {}  retention 1d {} 7d {} 30d {}  unfollowed within 24 h {}  within 5 min {}\n",
             (*s)["unique_scanners"].get<std::int64_t>(), percent(r["d1"]), percent(r["d7"]), percent(r["d30"]),
             percent((*s)["early_unfollow_rate"]), (*s)["fraud"]["quick_unfollows"].get<std::int64_t>());
  for (const auto& b : (*s)["fraud"]["bursts"]) {
    fmt::print("burst: {} had {} new follows (median {})\n", str(b["label"]), b["new_follows"].get<std::int64_t>(),
               b["baseline"].get<double>());
  }
  return 0;
}

// --- export ---

struct ExportArgs {
  StatsArgs stats;
  std::string format = "csv";
  std::string out;
};

int save(Api& api, const std::string& path, const std::string& file, const std::string& format);

int run_export(ExportArgs& a) {
  auto api = Api::connect(a.stats.remote);
  if (!api) return 2;
  std::string q = query(a.stats);
  if (!a.stats.by.empty()) q += fmt::format("{}by={}", q.empty() ? '?' : '&', a.stats.by);
  q += fmt::format("{}format={}", q.empty() ? '?' : '&', a.format);
  return save(*api, "/api/v1/export" + q, a.out, a.format);
}

// Writes what GET `path` answers to `file` ("" or "-": standard output, CSV only).
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

// --- qr render ---

struct QrArgs {
  Remote remote;
  std::string url, out, format, dark = "#000000", light = "#ffffff", logo;
  std::int64_t channel = 0;
  int size = 430, margin = 4;
};

int run_qr(QrArgs& a) {
  if (a.out.empty()) {
    fmt::print(stderr, "--out FILE is required\n");
    return 2;
  }
  std::string format = a.format;
  if (format.empty()) format = a.out.ends_with(".svg") ? "svg" : "png";
  if (format != "png" && format != "svg") {
    fmt::print(stderr, "--format must be png or svg\n");
    return 2;
  }
  std::string url = a.url;
  if (a.channel != 0) {  // the channel's url, from the service
    auto api = Api::connect(a.remote);
    if (!api) return 2;
    auto c = api->json("GET", fmt::format("/api/v1/channels/{}", a.channel));
    if (!c) return 1;
    url = (*c)["url"].get<std::string>();
  }
  if (url.empty()) {
    fmt::print(stderr, "give --url (offline) or --channel ID (from the service)\n");
    return 2;
  }
  qr::QrStyle style;
  style.size = a.size;
  style.margin = a.margin;
  auto dark = qr::parse_color(a.dark);
  auto light = qr::parse_color(a.light);
  if (!dark || !light) {
    fmt::print(stderr, "--dark/--light: {}\n", (!dark ? dark.error() : light.error()).message);
    return 2;
  }
  style.dark = *dark;
  style.light = *light;
  if (!a.logo.empty()) {
    auto logo = read_all(a.logo);
    if (!logo) {
      fmt::print(stderr, "--logo: {}\n", logo.error().message);
      return 2;
    }
    style.logo = std::move(*logo);
  }
  auto bytes = qr::render(url, style, format == "svg" ? qr::ImageFormat::kSvg : qr::ImageFormat::kPng);
  if (!bytes) {
    fmt::print(stderr, "{}\n", bytes.error().message);
    return bytes.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
  }
  std::ofstream out(a.out, std::ios::binary);
  out << *bytes;
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", a.out);
    return 1;
  }
  fmt::print("wrote {} ({} bytes) for {}\n", a.out, bytes->size(), url);
  return 0;
}

// --- followers ---

struct FollowersArgs {
  StatsArgs filter;
  std::string status, sort, order, openid, out, format = "csv";
  std::int64_t page = 1, per_page = 50;
};

std::string when(const Json& t) {
  if (!t.is_number_integer()) return "–";
  const std::int64_t offset = 8 * 3600;  // the table is for people in China; exports use the store's offset
  return domain::time_label(t.get<std::int64_t>(), offset).substr(0, 16);
}

int run_followers(FollowersArgs& a) {
  auto api = Api::connect(a.filter.remote);
  if (!api) return 2;
  std::string q = query(a.filter);
  auto add = [&q](std::string_view k, const std::string& v) {
    if (!v.empty()) q += fmt::format("{}{}={}", q.empty() ? '?' : '&', k, percent_encode(v));
  };
  add("status", a.status);
  add("sort", a.sort);
  add("order", a.order);
  add("openid", a.openid);
  if (!a.out.empty()) {
    add("format", a.format);
    return save(*api, "/api/v1/followers/export" + q, a.out, a.format);
  }
  add("page", std::to_string(a.page));
  add("per_page", std::to_string(a.per_page));
  auto page = api->json("GET", "/api/v1/followers" + q);
  if (!page) return 1;
  if (a.filter.remote.json) {
    fmt::print("{}\n", page->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : (*page)["rows"]) {
    std::string tags;
    for (const auto& t : f["tags"]) tags += (tags.empty() ? "" : ";") + t.get<std::string>();
    rows.push_back({str(f["channel"]), str(f["owner"]), when(f["followed_at"]),
                    f["following"].get<bool>() ? "yes" : "no", when(f["left_at"]),
                    f["openid"].is_null() ? str(f["pseudonym"]).substr(0, 12) + "…" : str(f["openid"]),
                    str(f["unionid"]), tags, std::to_string(f["conversions"].get<std::int64_t>()),
                    fmt::format("{:.2f}", static_cast<double>(f["value_cents"].get<std::int64_t>()) / 100)});
  }
  print_table({"channel", "owner", "followed", "following", "left", "openid / pseudonym", "unionid", "tags",
               "conversions", fmt::format("value {}", str((*page)["currency"]))},
              rows);
  const auto total = (*page)["total"].get<std::int64_t>();
  fmt::print("\npage {} of {} ({} follows)\n", a.page, std::max<std::int64_t>(1, (total + a.per_page - 1) / a.per_page),
             total);
  return 0;
}

// --- conversions ---

struct ConversionsArgs {
  StatsArgs filter;
  std::string action, file, external_id, openid, unionid, kind, currency, at, by = "channel", touch = "first";
  double value = -1;
  std::size_t chunk = 200;
};

std::string duration(const Json& seconds) {
  if (!seconds.is_number_integer()) return "–";
  const auto s = seconds.get<std::int64_t>();
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86'400) return fmt::format("{:.1f}h", static_cast<double>(s) / 3600);
  return fmt::format("{:.1f}d", static_cast<double>(s) / 86'400);
}

std::string money(const Json& cents) {
  if (cents.is_null()) return "–";
  return fmt::format("{:.2f}", cents.get<double>() / 100);
}

int run_conversions(ConversionsArgs& a) {
  auto api = Api::connect(a.filter.remote);
  if (!api) return 2;
  if (a.action == "import") {
    std::int64_t recorded = 0, duplicates = 0;
    std::vector<std::string> errors;
    const int status = upload_csv(*api, a.file, "/api/v1/conversions/import", a.chunk, errors, [&](const Json& j) {
      recorded += j.value("recorded", std::int64_t{0});
      duplicates += j.value("duplicates", std::int64_t{0});
    });
    if (status == 2) return 2;
    fmt::print("{} recorded, {} already there, {} failed\n", recorded, duplicates, errors.size());
    for (const auto& e : errors) fmt::print("  {}\n", e);
    return status;
  }
  if (a.action == "record") {
    Json body{{"external_id", a.external_id}, {"kind", a.kind}, {"value_cents", std::llround(a.value * 100)}};
    if (!a.openid.empty()) body["openid"] = a.openid;
    if (!a.unionid.empty()) body["unionid"] = a.unionid;
    if (!a.currency.empty()) body["currency"] = a.currency;
    if (a.at.empty()) {
      body["occurred_at"] = static_cast<std::int64_t>(std::time(nullptr));
    } else {
      const bool digits = a.at.find_first_not_of("0123456789") == std::string::npos && a.at.size() < 12;
      body["occurred_at"] = digits ? Json(std::stoll(a.at)) : Json(a.at);
    }
    auto r = api->call("POST", "/api/v1/conversions", body.dump());
    if (!r) return 1;
    const Json j = Json::parse(r->body, nullptr, false);
    if (a.filter.remote.json) {
      fmt::print("{}\n", j.dump(2));
      return 0;
    }
    auto touch = [](const Json& t) { return t.is_null() ? std::string("none") : fmt::format("channel {}", t["channel_id"].get<std::int64_t>()); };
    fmt::print("{} {}: first touch {}, last touch {}{}\n", j["duplicate"].get<bool>() ? "already recorded" : "recorded",
               a.external_id, touch(j["first_touch"]), touch(j["last_touch"]),
               j["known_person"].get<bool>() ? "" : " (nobody we know: not attributed)");
    return 0;
  }
  std::string q = query(a.filter);
  q += fmt::format("{}by={}&touch={}", q.empty() ? '?' : '&', a.by, a.touch);
  if (!a.currency.empty()) q += "&currency=" + percent_encode(a.currency);
  auto report = api->json("GET", "/api/v1/conversions/report" + q);
  if (!report) return 1;
  if (a.filter.remote.json) {
    fmt::print("{}\n", report->dump(2));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  auto row = [&rows](const std::string& key, const Json& f) {
    rows.push_back({key, std::to_string(f["followers"].get<std::int64_t>()),
                    std::to_string(f["conversions"].get<std::int64_t>()), std::to_string(f["converters"].get<std::int64_t>()),
                    money(f["value_cents"]), money(f["value_per_follower_cents"]), duration(f["median_seconds_to_first"])});
  };
  for (const auto& f : (*report)["rows"]) row(str(f["key"]), f);
  row("total", (*report)["totals"]);
  if (!(*report)["unattributed"].is_null()) row("(no channel)", (*report)["unattributed"]);
  print_table({a.by, "followers", "conversions", "converters", fmt::format("value {}", str((*report)["currency"])),
               "per follower", "to 1st (median)"},
              rows);
  fmt::print("\n{} touch, {} to {}\n", a.touch, str((*report)["from"]), str((*report)["to"]));
  return 0;
}

void add_stats_filters(CLI::App& c, StatsArgs& a) {
  c.add_option("--from", a.from, "first day, YYYY-MM-DD (default: 29 days ago)");
  c.add_option("--to", a.to, "last day, YYYY-MM-DD (default: today)");
  c.add_option("--channel", a.channel, "channel ids, comma-separated");
  c.add_option("--group", a.group, "only this group's channels");
  c.add_option("--owner", a.owner, "only this owner's channels");
}

}  // namespace

void configure_channel_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ChannelArgs>();
  command.require_subcommand(1);
  auto* create = command.add_subcommand("create", "create a channel and its QR code");
  add_remote_options(*create, a->remote);
  create->add_option("--name", a->name, "what the channel is (shown in reports)")->required();
  create->add_option("--group", a->group, "a group, e.g. 线下");
  create->add_option("--owner", a->owner, "the promoter it belongs to");
  create->add_option("--kind", a->kind, "temporary (30 days at most) or permanent (100,000 per account)")
      ->check(CLI::IsMember({"temporary", "permanent"}));
  create->add_option("--scene", a->scene, "the scene (default: the next free int scene)");
  create->add_option("--reply", a->reply, "the text a new follower gets ({channel} {scene} {owner})");
  create->add_option("--reply-scan", a->reply_scan, "the text a follower who scans gets");
  create->add_option("--tag", a->tag, "tag followers with this WeChat tag");
  create->add_flag("--evergreen", a->evergreen, "renew the temporary code before it expires");
  create->add_option("--spend", a->spend, "what the channel cost, in yuan");
  auto* list = command.add_subcommand("list", "list the channels with their totals");
  add_remote_options(*list, a->remote);
  for (const char* verb : {"show", "pause", "resume", "retire"}) {
    auto* sub = command.add_subcommand(verb, fmt::format("{} a channel", verb));
    add_remote_options(*sub, a->remote);
    sub->add_option("id", a->id, "the channel's id")->required();
  }
  auto* import = command.add_subcommand("import", "create channels from a CSV file (a header row first)");
  add_remote_options(*import, a->remote);
  import->add_option("file", a->file, "the CSV: name,group,owner,kind,scene,expire_seconds,evergreen,"
                                      "reply_subscribe,reply_scan,tag,spend_cents")
      ->required();
  import->add_option("--chunk", a->chunk, "rows per request")->check(CLI::Range(1, 1000));
  for (auto* sub : command.get_subcommands({})) {
    sub->callback([a, sub] { a->action = sub->get_name(); });
  }
  run = [a] { return run_channel(*a); };
}

void configure_stats_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<StatsArgs>();
  add_remote_options(command, a->remote);
  add_stats_filters(command, *a);
  command.add_option("--granularity", a->granularity, "hour, day, week or month")
      ->check(CLI::IsMember({"hour", "day", "week", "month"}));
  command.add_option("--by", a->by, "rank by channel, group or owner instead")
      ->check(CLI::IsMember({"channel", "group", "owner"}));
  run = [a] { return run_stats(*a); };
}

void configure_export_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ExportArgs>();
  add_remote_options(command, a->stats.remote);
  add_stats_filters(command, a->stats);
  command.add_option("--by", a->stats.by, "a row per channel (default), group or owner")
      ->check(CLI::IsMember({"channel", "group", "owner"}));
  command.add_option("--format", a->format, "csv (default) or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  command.add_option("--out", a->out, "the file to write (default: standard output)");
  run = [a] { return run_export(*a); };
}

void configure_qr_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<QrArgs>();
  command.require_subcommand(1);
  auto* render = command.add_subcommand("render", "draw a QR code as PNG or SVG (offline from --url)");
  add_remote_options(*render, a->remote);
  render->add_option("--url", a->url, "what the code holds (a channel's url)");
  render->add_option("--channel", a->channel, "a channel's id: its url comes from the service");
  render->add_option("--out", a->out, "the file to write (.png or .svg)")->required();
  render->add_option("--format", a->format, "png or svg (default: from --out)");
  render->add_option("--size", a->size, "pixels");
  render->add_option("--margin", a->margin, "light modules around the code");
  render->add_option("--dark", a->dark, "#RRGGBB of the modules");
  render->add_option("--light", a->light, "#RRGGBB of the background");
  render->add_option("--logo", a->logo, "a PNG or JPEG drawn in the middle (error correction raised)");
  run = [a] { return run_qr(*a); };
}

void configure_admin_token_command(CLI::App& command, std::function<int()>& run) {
  run = [] {
    std::array<std::uint8_t, 24> bytes{};
    secure_random_bytes(bytes);
    const std::string token = encode_base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::string url_safe = token;
    for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
    fmt::print("token: {}\n[admin]\ntoken_sha256 = \"{}\"\n", url_safe, service::token_sha256(url_safe));
    fmt::print(stderr, "Keep the token (give it to the dashboard or QRSCENE_ADMIN_TOKEN); the config holds only its hash.\n");
    return 0;
  };
  (void)command;
}

void configure_followers_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<FollowersArgs>();
  add_remote_options(command, a->filter.remote);
  command.add_option("--channel", a->filter.channel, "channel ids, comma-separated");
  command.add_option("--group", a->filter.group, "only this group's channels");
  command.add_option("--owner", a->filter.owner, "a promoter's followers");
  command.add_option("--from", a->filter.from, "followed on or after this day, YYYY-MM-DD");
  command.add_option("--to", a->filter.to, "followed on or before this day, YYYY-MM-DD");
  command.add_option("--status", a->status, "following, left or all")->check(CLI::IsMember({"following", "left", "all"}));
  command.add_option("--sort", a->sort, "followed_at, left_at, channel or value")
      ->check(CLI::IsMember({"followed_at", "left_at", "channel", "value"}));
  command.add_option("--order", a->order, "desc (default) or asc")->check(CLI::IsMember({"asc", "desc"}));
  command.add_option("--openid", a->openid, "one person's follows");
  command.add_option("--page", a->page, "which page")->check(CLI::PositiveNumber);
  command.add_option("--per-page", a->per_page, "rows per page (at most 500)")->check(CLI::Range(1, 500));
  command.add_option("--out", a->out, "export every row to this file instead of printing a page");
  command.add_option("--format", a->format, "with --out: csv (default) or xlsx")->check(CLI::IsMember({"csv", "xlsx"}));
  run = [a] { return run_followers(*a); };
}

void configure_conversions_command(CLI::App& command, std::function<int()>& run) {
  auto a = std::make_shared<ConversionsArgs>();
  command.require_subcommand(1);
  auto* record = command.add_subcommand("record", "record one conversion (the same --external-id again changes nothing)");
  add_remote_options(*record, a->filter.remote);
  record->add_option("--external-id", a->external_id, "your order or payment id")->required();
  record->add_option("--openid", a->openid, "the follower's openid (or --unionid)");
  record->add_option("--unionid", a->unionid, "the follower's unionid");
  record->add_option("--kind", a->kind, "order, payment, signup, …")->required();
  record->add_option("--value", a->value, "in yuan (or the currency's unit), e.g. 99.5")->required();
  record->add_option("--currency", a->currency, "ISO 4217 (default: the service's [conversions] currency)");
  record->add_option("--at", a->at, "when: Unix seconds or RFC 3339 (default: now)");
  auto* import = command.add_subcommand("import", "record conversions from a CSV file (a header row first)");
  add_remote_options(*import, a->filter.remote);
  import->add_option("file", a->file, "the CSV: external_id,openid,unionid,kind,value_cents,occurred_at[,currency]")
      ->required();
  import->add_option("--chunk", a->chunk, "rows per request")->check(CLI::Range(1, 5000));
  auto* report = command.add_subcommand("report", "conversions per channel, group or owner");
  add_remote_options(*report, a->filter.remote);
  add_stats_filters(*report, a->filter);
  report->add_option("--by", a->by, "channel (default), group or owner")->check(CLI::IsMember({"channel", "group", "owner"}));
  report->add_option("--touch", a->touch, "first (default) or last")->check(CLI::IsMember({"first", "last"}));
  report->add_option("--currency", a->currency, "ISO 4217 (default: the service's)");
  for (auto* sub : command.get_subcommands({})) {
    sub->callback([a, sub] { a->action = sub->get_name(); });
  }
  run = [a] { return run_conversions(*a); };
}

}  // namespace qrscene::app
