-- A number that grows with every change to a subscription's row (a save, a status, sync or
-- holder change, a new or deleted subscription): what was computed from the subscriptions
-- under one number (the create_circuit form's 10,000 usable Nodes, the network map) is
-- still true while the number is the same. As with process_status_counts, each connection
-- adds to a row of its own (its backend pid), so concurrent writers never wait on one row,
-- and a read sums them; once per statement, so a bulk COPY of a million rows adds one.
-- A statement that changed no row may add one too: a number that moves for nothing only
-- costs a recomputation.
CREATE TABLE subscription_change_counts (
    shard  integer PRIMARY KEY,
    n      bigint NOT NULL
);

INSERT INTO subscription_change_counts (shard, n) VALUES (0, 0);

CREATE FUNCTION subscriptions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscription_change_counts AS c (shard, n) VALUES (pg_backend_pid(), 1)
    ON CONFLICT (shard) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER subscriptions_changed AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_changed();
