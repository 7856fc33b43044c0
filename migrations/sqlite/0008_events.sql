-- The event log that `wf serve` streams (GET /api/events) and `wf process watch` follows:
-- one row per process created, step committed, process status changed and subscription
-- changed, written in the same transaction as the change. A follower reads the rows after
-- the last id it saw. SQLite has one writer at a time, so ids become visible in order.
-- A new id is the largest one plus 1 (no AUTOINCREMENT: its bookkeeping row, updated on
-- every insert, cost a fifth of a step's commit), so an id is never given twice as long as
-- the newest event is never deleted.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('process_created', 'step_committed', 'process_status', 'subscription_changed')),
    process_id       TEXT,
    subscription_id  TEXT,
    data             TEXT NOT NULL
);

CREATE INDEX events_process_idx ON events (process_id, id) WHERE process_id IS NOT NULL;
CREATE INDEX events_subscription_idx ON events (subscription_id, id) WHERE subscription_id IS NOT NULL;
