-- The change stamp of 0014, kept per product: a Circuit saved, taken or released no longer
-- invalidates what was computed from the Nodes (the create_circuit form's usable Nodes),
-- which on a busy network would otherwise be recomputed after nearly every step. Without a
-- product asked for, the stamp is the sum over every product, as before.
DROP TRIGGER subscriptions_changed_insert;
DROP TRIGGER subscriptions_changed_update;
DROP TRIGGER subscriptions_changed_delete;
DROP TABLE subscription_changes;

CREATE TABLE subscription_changes (
    product_id  TEXT PRIMARY KEY REFERENCES products (product_id),
    n           INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO subscription_changes (product_id, n) SELECT product_id, 0 FROM products;

-- Not INSERT OR IGNORE: in a trigger, the conflict clause of the statement that fired it
-- (the save's upsert) would take precedence.
CREATE TRIGGER subscriptions_changed_insert AFTER INSERT ON subscriptions
BEGIN
    INSERT INTO subscription_changes (product_id, n)
        SELECT NEW.product_id, 0 WHERE NOT EXISTS (SELECT 1 FROM subscription_changes WHERE product_id = NEW.product_id);
    UPDATE subscription_changes SET n = n + 1 WHERE product_id = NEW.product_id;
END;

CREATE TRIGGER subscriptions_changed_update AFTER UPDATE ON subscriptions
BEGIN
    INSERT INTO subscription_changes (product_id, n)
        SELECT NEW.product_id, 0 WHERE NOT EXISTS (SELECT 1 FROM subscription_changes WHERE product_id = NEW.product_id);
    UPDATE subscription_changes SET n = n + 1 WHERE product_id IN (OLD.product_id, NEW.product_id);
END;

CREATE TRIGGER subscriptions_changed_delete AFTER DELETE ON subscriptions
BEGIN
    UPDATE subscription_changes SET n = n + 1 WHERE product_id = OLD.product_id;
END;
