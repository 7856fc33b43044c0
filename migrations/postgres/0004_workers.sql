-- Long-running `wf worker` processes, for `wf workers`: who is alive and since when. What
-- a worker holds is read from processes.lease_owner, which is its worker_id.
CREATE TABLE workers (
    worker_id     text PRIMARY KEY,
    host          text NOT NULL,
    pid           integer NOT NULL,
    concurrency   integer NOT NULL,
    started_at    timestamptz NOT NULL,
    heartbeat_at  timestamptz NOT NULL,
    stopping      boolean NOT NULL DEFAULT false
);

-- What workers claim: processes not yet final. Partial, so that finished processes (the
-- bulk of the table) cost the claim nothing.
CREATE INDEX processes_runnable_idx ON processes (last_modified_at)
    WHERE last_status IN ('created', 'running', 'resumed', 'waiting');
