-- The ledger: every write a step made, or was about to make, to NetBox. The intent is
-- recorded before the call (fenced by the runner's lease) and its outcome after, each in
-- its own transaction. `execution` is the run of the step (its process_steps row once
-- committed); `held_by` the run answerable for a created object now (its creator, or a
-- later run that adopted it); `released_at` is set when an object was deleted again
-- because the run that made it lost its lease or was replaced.
CREATE TABLE ledger_entries (
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    entry_id         uuid PRIMARY KEY,
    process_id       uuid NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    step_name        text NOT NULL,
    execution_id     uuid NOT NULL,
    attempt          integer NOT NULL,
    runner           text NOT NULL,
    subscription_id  uuid,
    action           text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    object_type      text NOT NULL,
    object_id        integer,
    label            text,
    adopt_key        text,
    sent             jsonb NOT NULL,
    replaced         jsonb,
    answer           jsonb,
    finder           jsonb,
    outcome          text NOT NULL CHECK (outcome IN ('pending', 'done', 'failed', 'not_made')),
    error            text,
    held_by          uuid NOT NULL,
    released_at      timestamptz,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz
);

CREATE INDEX ledger_entries_process_idx ON ledger_entries (process_id);
CREATE INDEX ledger_entries_subscription_idx ON ledger_entries (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX ledger_entries_object_idx ON ledger_entries (object_type, object_id) WHERE object_id IS NOT NULL;
