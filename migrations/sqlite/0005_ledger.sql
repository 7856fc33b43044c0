-- The ledger: every write a step made, or was about to make, to NetBox. The intent is
-- recorded before the call (fenced by the runner's lease) and its outcome after, each in
-- its own transaction. `execution` is the run of the step (its process_steps row once
-- committed); `held_by` the run answerable for a created object now (its creator, or a
-- later run that adopted it); `released_at` is set when an object was deleted again
-- because the run that made it lost its lease or was replaced.
CREATE TABLE ledger_entries (
    entry_id         TEXT PRIMARY KEY,
    process_id       TEXT NOT NULL REFERENCES processes (process_id) ON DELETE CASCADE,
    step_name        TEXT NOT NULL,
    execution_id     TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    runner           TEXT NOT NULL,
    subscription_id  TEXT,
    action           TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    object_type      TEXT NOT NULL,
    object_id        INTEGER,
    label            TEXT,
    adopt_key        TEXT,
    sent             TEXT NOT NULL,
    replaced         TEXT,
    answer           TEXT,
    finder           TEXT,
    outcome          TEXT NOT NULL CHECK (outcome IN ('pending', 'done', 'failed', 'not_made')),
    error            TEXT,
    held_by          TEXT NOT NULL,
    released_at      TEXT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT
);

CREATE INDEX ledger_entries_process_idx ON ledger_entries (process_id);
CREATE INDEX ledger_entries_subscription_idx ON ledger_entries (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX ledger_entries_object_idx ON ledger_entries (object_type, object_id) WHERE object_id IS NOT NULL;
