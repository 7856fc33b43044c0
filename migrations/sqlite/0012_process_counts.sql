-- How many processes are in each status (the web UI's home page, /metrics), kept as the
-- processes change instead of counted over every process each time (a scan of the whole
-- status index: tens of milliseconds at 150,000 processes). One writer at a time here, so
-- one row per status.
CREATE TABLE process_status_counts (
    status  TEXT PRIMARY KEY,
    n       INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO process_status_counts (status, n) SELECT last_status, count(*) FROM processes GROUP BY last_status;

CREATE TRIGGER processes_counted_insert AFTER INSERT ON processes
BEGIN
    INSERT OR IGNORE INTO process_status_counts (status, n) VALUES (NEW.last_status, 0);
    UPDATE process_status_counts SET n = n + 1 WHERE status = NEW.last_status;
END;

CREATE TRIGGER processes_counted_update AFTER UPDATE OF last_status ON processes
WHEN OLD.last_status IS NOT NEW.last_status
BEGIN
    UPDATE process_status_counts SET n = n - 1 WHERE status = OLD.last_status;
    INSERT OR IGNORE INTO process_status_counts (status, n) VALUES (NEW.last_status, 0);
    UPDATE process_status_counts SET n = n + 1 WHERE status = NEW.last_status;
END;

CREATE TRIGGER processes_counted_delete AFTER DELETE ON processes
BEGIN
    UPDATE process_status_counts SET n = n - 1 WHERE status = OLD.last_status;
END;
