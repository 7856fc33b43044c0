-- Work that starts without an operator at the keyboard.
--
-- Schedules (`wf schedule`): a workflow started on a cron expression in a time zone.
-- `next_due_at` is the next time it fires (NULL until a scheduler first computes it). A
-- scheduler fires a due schedule by moving `next_due_at` on from the value it read, in the
-- same transaction that inserts the run and the process: of several schedulers only the one
-- whose update matched fires, and the run's key (schedule, due time) refuses a second
-- insert besides. A run whose start was refused (bad input, subscription held) is kept with
-- the refusal and no process.
CREATE TABLE schedules (
    schedule_id  TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    workflow     TEXT NOT NULL,
    cron         TEXT NOT NULL,
    time_zone    TEXT NOT NULL,
    input        TEXT NOT NULL DEFAULT '{}',
    paused       INTEGER NOT NULL DEFAULT 0,
    next_due_at  TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX schedules_due_idx ON schedules (next_due_at) WHERE paused = 0;

-- Runs outlive their schedule (a removed schedule's processes still say where they came from).
CREATE TABLE schedule_runs (
    schedule_id    TEXT NOT NULL,
    schedule_name  TEXT NOT NULL,
    due_at         TEXT NOT NULL,
    fired_at       TEXT NOT NULL,
    fired_by       TEXT NOT NULL,
    process_id     TEXT,
    refusal        TEXT,
    PRIMARY KEY (schedule_id, due_at)
);
CREATE INDEX schedule_runs_process_idx ON schedule_runs (process_id) WHERE process_id IS NOT NULL;
CREATE INDEX schedule_runs_fired_idx ON schedule_runs (schedule_id, fired_at);

-- The default schedule: every active subscription compared with NetBox each hour. Removable;
-- this file runs once, so a removed default stays removed.
INSERT INTO schedules (schedule_id, name, workflow, cron, time_zone, input, created_by, created_at)
VALUES ('5c4ed01e-0000-4000-8000-000000000001', 'validate-subscriptions-hourly', 'validate_subscriptions', '@hourly', 'UTC', '{}',
    'wf db migrate', strftime('%Y-%m-%d %H:%M:%f', 'now'));

-- Settings an operator sets with `wf`: the NetBox webhook's shared secret.
CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Every NetBox webhook delivery with a valid signature, once (a byte-identical repeat only
-- counts up `repeats`): what it was about and which subscriptions own that object (none:
-- recorded and dropped).
CREATE TABLE netbox_deliveries (
    body_sha256  TEXT PRIMARY KEY,
    received_at  TEXT NOT NULL,
    request_id   TEXT,
    event        TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    INTEGER,
    owners       TEXT NOT NULL DEFAULT '[]',
    repeats      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX netbox_deliveries_received_idx ON netbox_deliveries (received_at);

-- Subscriptions to validate because NetBox changed an object they own, one row per
-- subscription however many changes came: the first change sets `due_at` (debounce), later
-- ones only count. A scheduler takes the due rows and starts the product's validate.
CREATE TABLE drift_checks (
    subscription_id  TEXT PRIMARY KEY,
    first_at         TEXT NOT NULL,
    due_at           TEXT NOT NULL,
    changes          INTEGER NOT NULL,
    request_ids      TEXT NOT NULL DEFAULT '[]'
);

-- Outgoing webhooks (`wf hook`). The outbox is the event log itself (written in the same
-- transaction as each change): a hook keeps a cursor, the last event id it has handled, and
-- moves it on only after the receiver answered 2xx. One runner at a time delivers a hook
-- (its lease), in event order; a failure waits `next_attempt_at` (backing off) and is retried.
CREATE TABLE hooks (
    hook_id           TEXT PRIMARY KEY,
    url               TEXT NOT NULL,
    events            TEXT NOT NULL,
    secret            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    event_cursor      INTEGER NOT NULL,
    failures          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT,
    last_error        TEXT,
    lease_owner       TEXT,
    lease_expires_at  TEXT
);

CREATE TABLE hook_deliveries (
    delivery_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id      TEXT NOT NULL REFERENCES hooks (hook_id) ON DELETE CASCADE,
    event_id     INTEGER NOT NULL,
    event        TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    at           TEXT NOT NULL,
    status       INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX hook_deliveries_hook_idx ON hook_deliveries (hook_id, delivery_id);

-- NetBox's X-Request-ID for the call a ledger entry made: a webhook delivery NetBox sends
-- for that call carries it as `request.id`, and is the orchestrator's own change, not drift.
ALTER TABLE ledger_entries ADD COLUMN netbox_request_id TEXT;
CREATE INDEX ledger_entries_request_idx ON ledger_entries (netbox_request_id) WHERE netbox_request_id IS NOT NULL;
