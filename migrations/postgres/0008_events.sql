-- The event log that `wf serve` streams (GET /api/events) and `wf process watch` follows:
-- one row per process created, step committed, process status changed and subscription
-- changed, written in the same transaction as the change; every transaction that writes
-- some also NOTIFYs `wf_events` (suffixed with the schema). A follower reads the rows after
-- the last id it saw.
--
-- Ids come from a sequence when a row is inserted, but transactions commit in their own
-- order: a reader could see id 12 committed while id 11 is still in flight, move past it,
-- and miss it. So every writer takes a shared advisory lock before it draws an id
-- (`next_event_id`, the column's default) and keeps it until it ends, and a reader first
-- takes the same lock exclusively for a moment (`event_horizon`): once it has it, every id
-- drawn so far belongs to a transaction that has ended, and the reader then reads only up to
-- that id. Writers do not wait for each other; a reader waits for the writers in flight.
-- The lock's key is the sequence's oid, so schemas of one database do not wait for each
-- other. The sequence must not cache ids (CACHE 1, the default), or ids are no longer drawn
-- in order.
CREATE SEQUENCE events_id_seq;

CREATE FUNCTION next_event_id() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock_shared(hashtext('wf_events'), 'events_id_seq'::regclass::oid::integer);
    SELECT nextval('events_id_seq');
$$;

CREATE FUNCTION event_horizon() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtext('wf_events'), 'events_id_seq'::regclass::oid::integer);
    SELECT COALESCE(pg_sequence_last_value('events_id_seq'), 0);
$$;

CREATE TABLE events (
    id               bigint PRIMARY KEY DEFAULT next_event_id(),
    at               timestamptz NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('process_created', 'step_committed', 'process_status', 'subscription_changed')),
    process_id       uuid,
    subscription_id  uuid,
    data             jsonb NOT NULL
);

ALTER SEQUENCE events_id_seq OWNED BY events.id;

CREATE INDEX events_process_idx ON events (process_id, id) WHERE process_id IS NOT NULL;
CREATE INDEX events_subscription_idx ON events (subscription_id, id) WHERE subscription_id IS NOT NULL;
