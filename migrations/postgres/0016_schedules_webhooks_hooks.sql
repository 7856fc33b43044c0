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
    schedule_id  uuid PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    workflow     text NOT NULL,
    cron         text NOT NULL,
    time_zone    text NOT NULL,
    input        jsonb NOT NULL DEFAULT '{}',
    paused       boolean NOT NULL DEFAULT false,
    next_due_at  timestamptz,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX schedules_due_idx ON schedules (next_due_at) WHERE NOT paused;

-- Runs outlive their schedule (a removed schedule's processes still say where they came from).
CREATE TABLE schedule_runs (
    schedule_id    uuid NOT NULL,
    schedule_name  text NOT NULL,
    due_at         timestamptz NOT NULL,
    fired_at       timestamptz NOT NULL,
    fired_by       text NOT NULL,
    process_id     uuid,
    refusal        text,
    PRIMARY KEY (schedule_id, due_at)
);
CREATE INDEX schedule_runs_process_idx ON schedule_runs (process_id) WHERE process_id IS NOT NULL;
CREATE INDEX schedule_runs_fired_idx ON schedule_runs (schedule_id, fired_at);

-- The default schedule: every active subscription compared with NetBox each hour. Removable;
-- this file runs once, so a removed default stays removed.
INSERT INTO schedules (schedule_id, name, workflow, cron, time_zone, input, created_by, created_at)
VALUES ('5c4ed01e-0000-4000-8000-000000000001', 'validate-subscriptions-hourly', 'validate_subscriptions', '@hourly', 'UTC', '{}',
    'wf db migrate', now());

-- Settings an operator sets with `wf`: the NetBox webhook's shared secret.
CREATE TABLE settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Every NetBox webhook delivery with a valid signature, once (a byte-identical repeat only
-- counts up `repeats`): what it was about and which subscriptions own that object (none:
-- recorded and dropped).
CREATE TABLE netbox_deliveries (
    body_sha256  text PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    request_id   text,
    event        text NOT NULL,
    object_type  text NOT NULL,
    object_id    bigint,
    owners       jsonb NOT NULL DEFAULT '[]',
    repeats      integer NOT NULL DEFAULT 0
);
CREATE INDEX netbox_deliveries_received_idx ON netbox_deliveries (received_at);

-- Subscriptions to validate because NetBox changed an object they own, one row per
-- subscription however many changes came: the first change sets `due_at` (debounce), later
-- ones only count. A scheduler takes the due rows and starts the product's validate.
CREATE TABLE drift_checks (
    subscription_id  uuid PRIMARY KEY,
    first_at         timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    changes          integer NOT NULL,
    request_ids      jsonb NOT NULL DEFAULT '[]'
);

-- Outgoing webhooks (`wf hook`). The outbox is the event log itself (written in the same
-- transaction as each change): a hook keeps a cursor, the last event id it has handled, and
-- moves it on only after the receiver answered 2xx. One runner at a time delivers a hook
-- (its lease), in event order; a failure waits `next_attempt_at` (backing off) and is retried.
CREATE TABLE hooks (
    hook_id           uuid PRIMARY KEY,
    url               text NOT NULL,
    events            jsonb NOT NULL,
    secret            text NOT NULL,
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    event_cursor      bigint NOT NULL,
    failures          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    last_error        text,
    lease_owner       text,
    lease_expires_at  timestamptz
);

CREATE TABLE hook_deliveries (
    delivery_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hook_id      uuid NOT NULL REFERENCES hooks ON DELETE CASCADE,
    event_id     bigint NOT NULL,
    event        text NOT NULL,
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL,
    status       integer,
    error        text,
    duration_ms  integer NOT NULL
);
CREATE INDEX hook_deliveries_hook_idx ON hook_deliveries (hook_id, delivery_id);

-- NetBox's X-Request-ID for the call a ledger entry made: a webhook delivery NetBox sends
-- for that call carries it as `request.id`, and is the orchestrator's own change, not drift.
ALTER TABLE ledger_entries ADD COLUMN netbox_request_id text;
CREATE INDEX ledger_entries_request_idx ON ledger_entries (netbox_request_id) WHERE netbox_request_id IS NOT NULL;
