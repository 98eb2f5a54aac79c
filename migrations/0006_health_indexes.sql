-- Indexes behind readiness and `deno task status`: each health question is an index probe, not a
-- scan of months of rows.

-- The oldest pending job that is due (worker readiness, status backlog).
CREATE INDEX backfill_jobs_due_idx ON backfill_jobs (run_after) WHERE state = 'pending';
-- Jobs that died recently (worker readiness, status).
CREATE INDEX backfill_jobs_dead_idx ON backfill_jobs (finished_at) WHERE state = 'dead';
