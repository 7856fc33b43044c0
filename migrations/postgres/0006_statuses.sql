-- Statuses nothing produces are gone: `resumed` and `awaiting_callback` (a callback step
-- needs the HTTP service first). `inconsistent_data` stays: a task that finds data it
-- cannot repair stops there (validate_subscriptions).
ALTER TABLE processes DROP CONSTRAINT processes_last_status_check;
ALTER TABLE processes ADD CONSTRAINT processes_last_status_check CHECK (last_status IN ('created', 'running', 'suspended',
    'waiting', 'api_unavailable', 'inconsistent_data', 'failed', 'aborted', 'completed'));

ALTER TABLE process_steps DROP CONSTRAINT process_steps_status_check;
ALTER TABLE process_steps ADD CONSTRAINT process_steps_status_check CHECK (status IN ('success', 'skipped', 'suspend', 'waiting',
    'failed', 'abort', 'complete'));

-- The claim's index, without the status that no longer exists.
DROP INDEX processes_runnable_idx;
CREATE INDEX processes_runnable_idx ON processes (last_modified_at)
    WHERE last_status IN ('created', 'running', 'waiting');
