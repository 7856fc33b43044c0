-- The change stamp of 0014, kept per product: a Circuit saved, taken or released no longer
-- invalidates what was computed from the Nodes (the create_circuit form's usable Nodes),
-- which on a busy network would otherwise be recomputed after nearly every step. Still one
-- row per connection (its backend pid) and product, added to once per statement from the
-- statement's changed rows; a read sums the rows of the products asked for, or of all.
DROP TRIGGER subscriptions_changed ON subscriptions;
DROP FUNCTION subscriptions_changed();
DROP TABLE subscription_change_counts;

CREATE TABLE subscription_change_counts (
    product_id  uuid NOT NULL,
    shard       integer NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (product_id, shard)
);

INSERT INTO subscription_change_counts (product_id, shard, n) SELECT product_id, 0, 0 FROM products;

CREATE FUNCTION subscriptions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO subscription_change_counts AS c (product_id, shard, n)
    SELECT DISTINCT product_id, pg_backend_pid(), 1 FROM changed ORDER BY product_id
    ON CONFLICT (product_id, shard) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$;

-- A trigger with a transition table fires for one event; the three share the function.
CREATE TRIGGER subscriptions_changed_insert AFTER INSERT ON subscriptions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_changed();
CREATE TRIGGER subscriptions_changed_update AFTER UPDATE ON subscriptions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_changed();
CREATE TRIGGER subscriptions_changed_delete AFTER DELETE ON subscriptions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscriptions_changed();
