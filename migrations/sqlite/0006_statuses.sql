-- Statuses nothing produces are gone: `resumed` and `awaiting_callback` (a callback step
-- needs the HTTP service first). `inconsistent_data` stays: a task that finds data it
-- cannot repair stops there (validate_subscriptions).
--
-- SQLite cannot change a table's CHECK without rebuilding the table (and the tables that
-- reference it); these triggers refuse the two statuses instead, with the same effect.
CREATE TRIGGER processes_status_known_on_insert BEFORE INSERT ON processes
WHEN NEW.last_status IN ('resumed', 'awaiting_callback')
BEGIN
    SELECT RAISE(ABORT, 'processes.last_status: resumed and awaiting_callback are no longer statuses');
END;

CREATE TRIGGER processes_status_known_on_update BEFORE UPDATE OF last_status ON processes
WHEN NEW.last_status IN ('resumed', 'awaiting_callback')
BEGIN
    SELECT RAISE(ABORT, 'processes.last_status: resumed and awaiting_callback are no longer statuses');
END;

CREATE TRIGGER process_steps_status_known BEFORE INSERT ON process_steps
WHEN NEW.status = 'awaiting_callback'
BEGIN
    SELECT RAISE(ABORT, 'process_steps.status: awaiting_callback is no longer a status');
END;
