-- A number that grows with every change to a subscription's row (a save, a status, sync or
-- holder change, a new or deleted subscription): what was computed from the subscriptions
-- under one number (the create_circuit form's 10,000 usable Nodes, the network map) is
-- still true while the number is the same. One writer at a time here, so one row.
CREATE TABLE subscription_changes (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);

INSERT INTO subscription_changes (id, n) VALUES (1, 0);

CREATE TRIGGER subscriptions_changed_insert AFTER INSERT ON subscriptions
BEGIN
    UPDATE subscription_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER subscriptions_changed_update AFTER UPDATE ON subscriptions
BEGIN
    UPDATE subscription_changes SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER subscriptions_changed_delete AFTER DELETE ON subscriptions
BEGIN
    UPDATE subscription_changes SET n = n + 1 WHERE id = 1;
END;
