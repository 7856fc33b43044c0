-- Tokens of the HTTP API (`wf token create`). Only the SHA-256 of a token's secret is kept:
-- the secret is shown once, when the token is made, and a request's token is found by the
-- hash of what it sent. `workflows` is a JSON array of patterns (`create_*`) an operator
-- may run, empty for every workflow.
CREATE TABLE api_tokens (
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    token_id      uuid PRIMARY KEY,
    user_name     text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    workflows     jsonb NOT NULL DEFAULT '[]',
    secret_hash   text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz
);
