// AccountClients: one ApiClient (and one TokenProvider) per AppID, so that several official
// accounts can be served by one process without ever mixing their tokens, and so that the single
// flight of token refreshes holds per account.
//
// Errors: add() answers kAlreadyExists for an AppID it has, kInvalidArgument for an empty AppID or
// secret; get() answers kNotFound naming the AppIDs it knows.
// Thread safety: all methods may be called concurrently; a client returned by get() lives as long
// as the AccountClients.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/redact.h"
#include "base/result.h"
#include "wechat/api_client.h"
#include "wechat/http_transport.h"
#include "wechat/token_provider.h"

namespace qrscene::wechat {

struct AccountCredentials {
  std::string appid;
  Secret secret;
  TokenMode mode = TokenMode::kStable;
};

class AccountClients {
 public:
  // `options` is shared by every account (hosts, timeouts, retries).
  AccountClients(HttpTransport& transport, TokenStore& store, const Clock& clock, ApiClientOptions options);
  ~AccountClients();

  [[nodiscard]] Status add(AccountCredentials account);
  [[nodiscard]] Result<ApiClient*> get(std::string_view appid) const;
  [[nodiscard]] std::vector<std::string> appids() const;

 private:
  struct Entry;
  HttpTransport& transport_;
  TokenStore& store_;
  const Clock& clock_;
  ApiClientOptions options_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

}  // namespace qrscene::wechat
