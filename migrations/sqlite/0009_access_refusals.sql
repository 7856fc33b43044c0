-- Requests the HTTP API refused for want of a valid token (401) or of permission (403):
-- who tried what, when, and why it was refused. Never the token itself.
CREATE TABLE access_refusals (
    refusal_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX access_refusals_at ON access_refusals (at);
