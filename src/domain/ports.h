// The ports the domain needs from storage, implemented in src/store (SQLite now, PostgreSQL with
// the scale-out work). The service talks to these, never to a database.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "base/result.h"
#include "domain/ingest.h"

namespace qrscene::domain {

// What became of one event once it is durable.
struct IngestOutcome {
  std::int64_t event_id = 0;
  bool duplicate = false;  // WeChat's retry of an event already stored: nothing changed
  std::optional<std::int64_t> channel_id;
  ReplyChoice reply;       // for a duplicate, the reply the first delivery got
};

// Takes events and makes them durable, many per transaction (group commit). `done` is called
// exactly once per event, after its transaction committed (or with the error that stopped it),
// on the ingestor's own thread: it must not block.
class Ingestor {
 public:
  using Done = std::function<void(Result<IngestOutcome>)>;
  virtual ~Ingestor() = default;
  virtual void submit(Event event, Done done) = 0;
};

}  // namespace qrscene::domain
