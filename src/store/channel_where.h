// The channels a domain::ChannelFilter covers, as SQL on `channels c`, shared by the store's reads.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "domain/ports.h"
#include "store/database.h"

namespace qrscene::store {

// The channels a filter covers, as SQL on `channels c` and the values to bind.
struct Where {
  std::string sql;
  std::vector<std::variant<std::int64_t, std::string>> args;
};

inline Where channel_where(const domain::ChannelFilter& f) {
  Where w{"c.appid = ?", {f.appid}};
  if (!f.channel_ids.empty()) {
    w.sql += " AND c.id IN (";
    for (std::size_t i = 0; i < f.channel_ids.size(); ++i) {
      w.sql += i == 0 ? "?" : ", ?";
      w.args.emplace_back(f.channel_ids[i]);
    }
    w.sql += ")";
  }
  if (!f.group.empty()) {
    w.sql += " AND c.grp = ?";
    w.args.emplace_back(f.group);
  }
  if (!f.owner.empty()) {
    w.sql += " AND c.owner = ?";
    w.args.emplace_back(f.owner);
  }
  return w;
}

// Binds the filter's values from parameter `index` on; returns the next free index.
inline int bind_where(Statement& q, const Where& w, int index) {
  for (const auto& a : w.args) {
    if (const auto* i = std::get_if<std::int64_t>(&a)) {
      q.bind(index++, *i);
    } else {
      q.bind(index++, std::get<std::string>(a));
    }
  }
  return index;
}

}  // namespace qrscene::store
