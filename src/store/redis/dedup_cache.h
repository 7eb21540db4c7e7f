// DedupCache: the fast path for WeChat's retries across instances (domain::Ingestor, in front of
// the store). After an event commits, its outcome (event id, channel, reply) is kept in Redis for
// `ttl` under the event's keyed dedup hash; a retry of it — on any instance — is answered from
// there without a database transaction. The database's unique key stays the truth: a miss, or
// Redis unreachable, goes to the store, which finds the duplicate itself.
//
// Lookups and writes run on a thread of the cache's own, pipelined (one round trip per batch), so
// the callback's thread never waits for Redis.
// Thread safety: submit() may be called concurrently; `done` runs on the cache's thread (a hit) or
// the store's (a miss).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "domain/ports.h"
#include "store/redis/redis_client.h"

namespace qrscene::store::redis {

struct DedupStats {
  std::int64_t hits = 0;    // retries answered from Redis
  std::int64_t misses = 0;  // sent on to the store
  std::int64_t errors = 0;  // Redis calls that failed (the store decided)
};

class DedupCache final : public domain::Ingestor {
 public:
  // `key`: the event's dedup hash (no openid in it: the store's keyed pseudonym).
  DedupCache(domain::Ingestor& store, RedisClient& redis, std::string prefix,
             std::function<std::string(const domain::Event&)> key, std::chrono::seconds ttl);
  ~DedupCache() override;  // stops after every submitted event went on or was answered
  DedupCache(const DedupCache&) = delete;
  DedupCache& operator=(const DedupCache&) = delete;

  void submit(domain::Event event, Done done) override;
  [[nodiscard]] bool wants(const domain::Event& event) const override { return store_.wants(event); }
  [[nodiscard]] DedupStats stats() const;

 private:
  struct Lookup {
    domain::Event event;
    Done done;
    std::string key;
  };
  // What the submitters, the store's callbacks and the thread share. A callback may run after the
  // cache is gone (the store drains its queue last): it then writes into a queue nobody reads.
  struct Queues {
    std::mutex mu;
    std::condition_variable wake;
    std::deque<Lookup> lookups;
    std::deque<std::pair<std::string, std::string>> writes;  // key, outcome as JSON
    bool stopping = false;
  };
  void loop();
  static void remember(Queues& queues, std::string key, const domain::IngestOutcome& outcome);

  domain::Ingestor& store_;
  RedisClient& redis_;
  std::string prefix_;
  std::function<std::string(const domain::Event&)> key_;
  std::chrono::seconds ttl_;
  std::shared_ptr<Queues> queues_ = std::make_shared<Queues>();
  std::atomic<std::int64_t> hits_{0}, misses_{0}, errors_{0};
  std::thread thread_;
};

}  // namespace qrscene::store::redis
