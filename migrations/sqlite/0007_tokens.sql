-- Tokens of the HTTP API (`wf token create`). Only the SHA-256 of a token's secret is kept:
-- the secret is shown once, when the token is made, and a request's token is found by the
-- hash of what it sent. `workflows` is a JSON array of patterns (`create_*`) an operator
-- may run, empty for every workflow.
CREATE TABLE api_tokens (
    token_id      TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    workflows     TEXT NOT NULL DEFAULT '[]',
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT,
    last_used_at  TEXT
);
