-- Long-running `wf worker` processes, for `wf workers`: who is alive and since when. What
-- a worker holds is read from processes.lease_owner, which is its worker_id.
CREATE TABLE workers (
    worker_id     TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    concurrency   INTEGER NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL,
    stopping      INTEGER NOT NULL DEFAULT 0
);
