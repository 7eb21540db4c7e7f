#include "store/redis/dedup_cache.h"

#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace qrscene::store::redis {
namespace {

using Json = nlohmann::json;

std::string to_json(const domain::IngestOutcome& o) {
  Json j{{"event_id", o.event_id}, {"reply", reply_to_json(o.reply)}};
  if (o.channel_id) j["channel_id"] = *o.channel_id;
  return j.dump();
}

std::optional<domain::IngestOutcome> from_json(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("event_id") || !j["event_id"].is_number_integer()) return std::nullopt;
  domain::IngestOutcome o;
  o.event_id = j["event_id"].get<std::int64_t>();
  o.duplicate = true;
  if (j.contains("channel_id") && j["channel_id"].is_number_integer()) o.channel_id = j["channel_id"].get<std::int64_t>();
  o.reply = reply_from_json(j.value("reply", "{}"));
  return o;
}

}  // namespace

DedupCache::DedupCache(domain::Ingestor& store, RedisClient& redis, std::string prefix,
                       std::function<std::string(const domain::Event&)> key, std::chrono::seconds ttl)
    : store_(store), redis_(redis), prefix_(std::move(prefix)), key_(std::move(key)), ttl_(ttl) {
  thread_ = std::thread([this] { loop(); });
}

DedupCache::~DedupCache() {
  {
    std::lock_guard lock(queues_->mu);
    queues_->stopping = true;
  }
  queues_->wake.notify_all();
  thread_.join();
}

void DedupCache::submit(domain::Event event, Done done) {
  std::string key = prefix_ + "event:" + key_(event);
  {
    std::lock_guard lock(queues_->mu);
    if (!queues_->stopping) {
      queues_->lookups.push_back(Lookup{std::move(event), std::move(done), std::move(key)});
      queues_->wake.notify_one();
      return;
    }
  }
  store_.submit(std::move(event), std::move(done));
}

DedupStats DedupCache::stats() const { return DedupStats{hits_.load(), misses_.load(), errors_.load()}; }

void DedupCache::remember(Queues& queues, std::string key, const domain::IngestOutcome& outcome) {
  {
    std::lock_guard lock(queues.mu);
    if (queues.stopping) return;
    queues.writes.emplace_back(std::move(key), to_json(outcome));
  }
  queues.wake.notify_one();
}

void DedupCache::loop() {
  for (;;) {
    std::deque<Lookup> lookups;
    std::deque<std::pair<std::string, std::string>> writes;
    {
      Queues& q = *queues_;
      std::unique_lock lock(q.mu);
      q.wake.wait(lock, [&q] { return q.stopping || !q.lookups.empty() || !q.writes.empty(); });
      if (q.stopping && q.lookups.empty()) return;  // the last writes are only a cache
      lookups.swap(q.lookups);
      writes.swap(q.writes);
    }
    // One round trip: the outcomes just committed, then the lookups.
    std::vector<std::vector<std::string>> commands;
    for (auto& [key, json] : writes) commands.push_back({"SET", key, json, "EX", std::to_string(ttl_.count())});
    for (const auto& l : lookups) commands.push_back({"GET", l.key});
    auto answers = redis_.pipeline(commands);
    if (!answers) errors_ += static_cast<std::int64_t>(commands.size());
    for (std::size_t i = 0; i < lookups.size(); ++i) {
      Lookup& l = lookups[i];
      if (answers) {
        const RedisValue& v = (*answers)[writes.size() + i];
        if (v.kind == RedisValue::Kind::kString) {
          if (auto outcome = from_json(v.str)) {
            ++hits_;
            l.done(std::move(*outcome));
            continue;
          }
        }
      }
      ++misses_;
      store_.submit(std::move(l.event), [queues = queues_, key = std::move(l.key), done = std::move(l.done)](
                                            Result<domain::IngestOutcome> r) mutable {
        if (r && r->login_session.empty()) remember(*queues, std::move(key), *r);
        done(std::move(r));
      });
    }
  }
}

}  // namespace qrscene::store::redis
