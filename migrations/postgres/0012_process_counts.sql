-- How many processes are in each status (the web UI's home page, /metrics), kept as the
-- processes change instead of counted over every process each time (an index scan of every
-- process: tens of milliseconds at 150,000, far more at a million). Many runners change
-- statuses at once, and one row per status would make each wait for the others' commits
-- (and two that change statuses the opposite way round would deadlock): each connection
-- adds to rows of its own (its backend pid), which no other connection writes, and a read
-- sums them. `processCounts` folds the rows of connections that have ended into shard 0.
CREATE TABLE process_status_counts (
    status  text NOT NULL,
    shard   integer NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (status, shard)
);

CREATE FUNCTION process_status_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    own integer := pg_backend_pid();
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO process_status_counts AS c (status, shard, n) VALUES (OLD.last_status, own, -1)
        ON CONFLICT (status, shard) DO UPDATE SET n = c.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO process_status_counts AS c (status, shard, n) VALUES (NEW.last_status, own, 1)
        ON CONFLICT (status, shard) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

-- The trigger locks out writers until this migration commits, so the count below misses none.
CREATE TRIGGER processes_counted AFTER INSERT OR DELETE ON processes
    FOR EACH ROW EXECUTE FUNCTION process_status_counted();
CREATE TRIGGER processes_counted_update AFTER UPDATE OF last_status ON processes
    FOR EACH ROW WHEN (OLD.last_status IS DISTINCT FROM NEW.last_status) EXECUTE FUNCTION process_status_counted();

INSERT INTO process_status_counts (status, shard, n) SELECT last_status, 0, count(*) FROM processes GROUP BY last_status;
