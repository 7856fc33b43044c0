-- The engine's tables, with orchestrator-core's names and meanings (PostgreSQL dialect of
-- sqlite/0001_engine.sql: ids are uuid, times timestamptz, JSON jsonb).

CREATE TABLE workflows (
    workflow_id   uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    target        text NOT NULL CHECK (target IN ('create', 'modify', 'terminate', 'validate', 'system')),
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);

CREATE TABLE processes (
    process_id        uuid PRIMARY KEY,
    workflow_id       uuid NOT NULL REFERENCES workflows (workflow_id),
    -- The hash of the workflow's step keys when the process started.
    workflow_version  text NOT NULL,
    assignee          text NOT NULL DEFAULT 'SYSTEM',
    last_status       text NOT NULL CHECK (last_status IN ('created', 'running', 'suspended', 'waiting', 'awaiting_callback',
                          'api_unavailable', 'inconsistent_data', 'failed', 'aborted', 'completed', 'resumed')),
    last_step         text,
    -- The state after the last committed step, and the form a suspended process waits on.
    state             jsonb NOT NULL,
    form              jsonb,
    failed_reason     text,
    traceback         text,
    created_by        text NOT NULL,
    is_task           boolean NOT NULL DEFAULT false,
    started_at        timestamptz NOT NULL,
    last_modified_at  timestamptz NOT NULL,
    -- The runner that owns the process while it runs; taken over once the lease expires.
    lease_owner       text,
    lease_expires_at  timestamptz,
    -- When a waiting process is due for its next attempt.
    next_retry_at     timestamptz
);

CREATE INDEX processes_last_status_idx ON processes (last_status);
CREATE INDEX processes_workflow_idx ON processes (workflow_id, started_at);

-- Append-only: a retried step adds a row, it never rewrites one. seq numbers a process's
-- rows in the order they were written.
CREATE TABLE process_steps (
    process_id     uuid NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    seq            integer NOT NULL,
    stepid         uuid NOT NULL,
    name           text NOT NULL,
    status         text NOT NULL CHECK (status IN ('success', 'skipped', 'suspend', 'waiting', 'failed', 'abort', 'complete',
                       'awaiting_callback')),
    state          jsonb NOT NULL,
    created_by     text NOT NULL,
    started_at     timestamptz NOT NULL,
    completed_at   timestamptz NOT NULL,
    -- Which attempt of this step the row records (1 for the first), and when the next is due.
    retries        integer NOT NULL DEFAULT 1,
    next_retry_at  timestamptz,
    failed_reason  text,
    error_type     text,
    -- The form of a 'suspend' row, or the details of an error.
    details        jsonb
);

CREATE UNIQUE INDEX process_steps_order_idx ON process_steps (process_id, seq);

CREATE TABLE input_states (
    process_id      uuid NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    seq             integer NOT NULL,
    input_state_id  uuid NOT NULL,
    input_state     jsonb NOT NULL,
    input_time      timestamptz NOT NULL,
    input_type      text NOT NULL CHECK (input_type IN ('user_input', 'initial_state')),
    created_by      text NOT NULL
);

CREATE UNIQUE INDEX input_states_order_idx ON input_states (process_id, seq);
