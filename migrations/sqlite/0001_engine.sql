-- The engine's tables, with orchestrator-core's names and meanings.
-- Times are UTC text 'YYYY-MM-DD HH:MM:SS.SSS' (sortable); ids are lowercase UUID text;
-- JSON is text holding one JSON value.

CREATE TABLE workflows (
    workflow_id   TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    target        TEXT NOT NULL CHECK (target IN ('create', 'modify', 'terminate', 'validate', 'system')),
    description   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    deleted_at    TEXT
);

CREATE TABLE processes (
    process_id        TEXT PRIMARY KEY,
    workflow_id       TEXT NOT NULL REFERENCES workflows (workflow_id),
    -- The hash of the workflow's step keys when the process started.
    workflow_version  TEXT NOT NULL,
    assignee          TEXT NOT NULL DEFAULT 'SYSTEM',
    last_status       TEXT NOT NULL CHECK (last_status IN ('created', 'running', 'suspended', 'waiting', 'awaiting_callback',
                          'api_unavailable', 'inconsistent_data', 'failed', 'aborted', 'completed', 'resumed')),
    last_step         TEXT,
    -- The state after the last committed step, and the form a suspended process waits on.
    state             TEXT NOT NULL,
    form              TEXT,
    failed_reason     TEXT,
    traceback         TEXT,
    created_by        TEXT NOT NULL,
    is_task           INTEGER NOT NULL DEFAULT 0,
    started_at        TEXT NOT NULL,
    last_modified_at  TEXT NOT NULL,
    -- The runner that owns the process while it runs; taken over once the lease expires.
    lease_owner       TEXT,
    lease_expires_at  TEXT,
    -- When a waiting process is due for its next attempt.
    next_retry_at     TEXT
);

-- On the status alone, so that a step which leaves the status as it was writes no index page.
CREATE INDEX processes_last_status_idx ON processes (last_status);
CREATE INDEX processes_workflow_idx ON processes (workflow_id, started_at);

-- Append-only: a retried step adds a row, it never rewrites one. seq numbers a process's
-- rows in the order they were written. stepid is a generated UUID, unique by construction;
-- it is not indexed, because an index would cost a page write on every step.
CREATE TABLE process_steps (
    process_id     TEXT NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    stepid         TEXT NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('success', 'skipped', 'suspend', 'waiting', 'failed', 'abort', 'complete',
                       'awaiting_callback')),
    state          TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    completed_at   TEXT NOT NULL,
    -- Which attempt of this step the row records (1 for the first), and when the next is due.
    retries        INTEGER NOT NULL DEFAULT 1,
    next_retry_at  TEXT,
    failed_reason  TEXT,
    error_type     TEXT,
    -- The form of a 'suspend' row, or the details of an error.
    details        TEXT
);

CREATE UNIQUE INDEX process_steps_order_idx ON process_steps (process_id, seq);

CREATE TABLE input_states (
    process_id      TEXT NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    input_state_id  TEXT NOT NULL,
    input_state     TEXT NOT NULL,
    input_time      TEXT NOT NULL,
    input_type      TEXT NOT NULL CHECK (input_type IN ('user_input', 'initial_state')),
    created_by      TEXT NOT NULL
);

CREATE UNIQUE INDEX input_states_order_idx ON input_states (process_id, seq);
