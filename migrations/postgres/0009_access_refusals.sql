-- Requests the HTTP API refused for want of a valid token (401) or of permission (403):
-- who tried what, when, and why it was refused. Never the token itself.
CREATE TABLE access_refusals (
    refusal_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    user_name   text NOT NULL,
    method      text NOT NULL,
    path        text NOT NULL,
    status      integer NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX access_refusals_at ON access_refusals (at);
