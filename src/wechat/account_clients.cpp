#include "wechat/account_clients.h"

#include <fmt/format.h>

#include <mutex>

namespace qrscene::wechat {

struct AccountClients::Entry {
  TokenProvider tokens;
  ApiClient client;
  Entry(HttpTransport& transport, TokenStore& store, const Clock& clock, TokenProviderOptions token_options,
        ApiClientOptions options)
      : tokens(transport, store, clock, std::move(token_options)), client(transport, tokens, clock, std::move(options)) {}
};

AccountClients::AccountClients(HttpTransport& transport, TokenStore& store, const Clock& clock,
                               ApiClientOptions options)
    : transport_(transport), store_(store), clock_(clock), options_(std::move(options)) {}

AccountClients::~AccountClients() = default;

Status AccountClients::add(AccountCredentials account) {
  if (account.appid.empty()) return unexpected(ErrorCode::kInvalidArgument, "an account needs an appid");
  if (account.secret.reveal().empty()) {
    return unexpected(ErrorCode::kInvalidArgument, fmt::format("account {} needs its AppSecret", account.appid));
  }
  TokenProviderOptions t;
  t.api_base = options_.api_base;
  t.appid = account.appid;
  t.secret = std::move(account.secret);
  t.mode = account.mode;
  t.timeout = options_.timeout;
  t.retry = options_.retry;
  t.sleep = options_.sleep;
  std::unique_lock lock(mu_);
  if (entries_.contains(account.appid)) {
    return unexpected(ErrorCode::kAlreadyExists, fmt::format("account {} is already configured", account.appid));
  }
  entries_.emplace(account.appid, std::make_unique<Entry>(transport_, store_, clock_, std::move(t), options_));
  return {};
}

Result<ApiClient*> AccountClients::get(std::string_view appid) const {
  std::shared_lock lock(mu_);
  const auto it = entries_.find(appid);
  if (it == entries_.end()) {
    std::string known;
    for (const auto& [id, _] : entries_) known += (known.empty() ? "" : ", ") + id;
    return unexpected(ErrorCode::kNotFound, fmt::format("no account with appid {} (configured: {})", appid,
                                                        known.empty() ? "none" : known));
  }
  return &it->second->client;
}

std::vector<std::string> AccountClients::appids() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, _] : entries_) out.push_back(id);
  return out;
}

}  // namespace qrscene::wechat
