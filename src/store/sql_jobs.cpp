// SqlStore's job queue (domain::JobQueue): typed payloads in the jobs table (store/job_codec.h),
// claimed oldest first, retried at a time or given up, and cleared of openids once done.
#include <fmt/format.h>

#include "store/job_codec.h"
#include "store/sql_store.h"

namespace qrscene::store {

Result<std::vector<domain::Job>> SqlStore::claim_jobs(std::int64_t now, std::size_t limit, std::int64_t stale_after) {
  catch_up_for_read();
  auto reader = readers_->lease();
  Database& db = *reader;
  return in_transaction(db, [&]() -> Result<std::vector<domain::Job>> {
    QRSCENE_ASSIGN_OR_RETURN(auto q, db.prepare("SELECT id, appid, kind, payload, attempts FROM jobs WHERE "
                                                "(state = 'pending' AND run_after <= ?) OR (state = 'running' AND "
                                                "run_after <= ?) ORDER BY run_after, id LIMIT ?"));
    q.bind(1, now).bind(2, now - stale_after).bind(3, static_cast<std::int64_t>(limit));
    std::vector<domain::Job> jobs;
    std::vector<std::pair<std::int64_t, std::string>> broken;  // a row no version of qrscene wrote
    for (;;) {
      QRSCENE_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) break;
      auto payload = decode_job(q.text(2), q.text(3));
      if (!payload) {
        broken.emplace_back(q.int64(0), payload.error().message);
        continue;
      }
      jobs.push_back(domain::Job{q.int64(0), q.text(1), std::move(*payload), static_cast<int>(q.int64(4))});
    }
    q.reset();
    // run_after of a running job is when it was claimed: how staleness is told.
    QRSCENE_ASSIGN_OR_RETURN(auto up, db.prepare("UPDATE jobs SET state = 'running', run_after = ? WHERE id = ?"));
    for (const auto& j : jobs) {
      up.reset();
      QRSCENE_TRY(up.bind(1, now).bind(2, j.id).run());
    }
    QRSCENE_ASSIGN_OR_RETURN(auto fail, db.prepare("UPDATE jobs SET state = 'failed', last_error = ? WHERE id = ?"));
    for (const auto& [id, why] : broken) {
      fail.reset();
      QRSCENE_TRY(fail.bind(1, why).bind(2, id).run());
    }
    return jobs;
  });
}

Status SqlStore::finish_job(std::int64_t id) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE jobs SET state = 'done', payload = '{}', attempts = "
                                                     "attempts + 1, last_error = '' WHERE id = ?"));
  return up.bind(1, id).run();
}

Status SqlStore::retry_job(std::int64_t id, std::string_view error, std::optional<std::int64_t> run_after) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto up, reader->prepare("UPDATE jobs SET state = ?, attempts = attempts + 1, "
                                                     "last_error = ?, run_after = ? WHERE id = ?"));
  return up.bind(1, run_after ? "pending" : "failed")
      .bind(2, error)
      .bind(3, run_after.value_or(clock_.unix_seconds()))
      .bind(4, id)
      .run();
}

Result<domain::JobCounts> SqlStore::job_counts(std::string_view appid) {
  catch_up_for_read();
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto q, reader->prepare("SELECT COUNT(CASE WHEN state = 'pending' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'running' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'done' THEN 1 END), "
                                                    "COUNT(CASE WHEN state = 'failed' THEN 1 END) FROM jobs WHERE ? = '' OR "
                                                    "appid = ?"));
  q.bind(1, appid).bind(2, appid);
  QRSCENE_TRY(q.step());
  return domain::JobCounts{q.int64(0), q.int64(1), q.int64(2), q.int64(3)};
}

Status SqlStore::enqueue_job(std::string_view appid, const domain::JobPayload& payload, std::int64_t run_after) {
  auto reader = readers_->lease();
  QRSCENE_ASSIGN_OR_RETURN(auto add, reader->prepare("INSERT INTO jobs (appid, kind, subject, payload, run_after, "
                                                      "created_at) VALUES (?, ?, '', ?, ?, ?)"));
  return add.bind(1, appid)
      .bind(2, domain::job_kind(payload))
      .bind(3, encode_job(payload))
      .bind(4, run_after)
      .bind(5, clock_.unix_seconds())
      .run();
}

}  // namespace qrscene::store
