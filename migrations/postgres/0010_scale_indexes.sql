-- What `wf bench --scale` found scanning or sorting whole tables, each now an index lookup
-- or an ordered index walk that stops at the page's last row. As in SQLite's 0010.

-- `wf processes` and GET /api/processes: newest first, the process id breaking ties, as
-- their ORDER BY says; unfiltered, by status (`--status suspended --waiting-for noc`), by user.
CREATE INDEX processes_started_idx ON processes (started_at DESC, process_id);
CREATE INDEX processes_status_started_idx ON processes (last_status, started_at DESC, process_id);
DROP INDEX processes_last_status_idx;
CREATE INDEX processes_created_by_idx ON processes (created_by, started_at DESC, process_id);
-- By workflow too, ready for a filter on the id (`p.workflow_id = (SELECT workflow_id …)`):
-- PostgreSQL cannot see through the join on `w.name` which workflow it is, and a workflow
-- with no processes then walks every process in `processes_started_idx`.
CREATE INDEX processes_workflow_started_idx ON processes (workflow_id, started_at DESC, process_id);
DROP INDEX processes_workflow_idx;

-- `wf audit`: the versions each step row saved, looked up once per row shown.
CREATE INDEX subscription_versions_process_idx ON subscription_versions (process_id, step_name);

-- `wf audit --user X --since 1d`: PostgreSQL plans each statement with its parameters, so
-- the audit's `$1 IS NULL OR created_by = $1` becomes `created_by = $1` and this applies.
-- (One more index entry per step row: the price of an audit that stays instant.)
CREATE INDEX process_steps_user_time_idx ON process_steps (created_by, completed_at);

-- `wf subscription show 7bcc…` and `wf process show 7bcc…` compare the id as text:
-- LIKE 'prefix%' uses an index on that text in the C ordering of text_pattern_ops.
CREATE INDEX subscriptions_id_prefix_idx ON subscriptions ((subscription_id::text) text_pattern_ops);
CREATE INDEX processes_id_prefix_idx ON processes ((process_id::text) text_pattern_ops);

-- `wf subscription history`: a subscription's operator events (forced unlocks, set in sync).
CREATE INDEX subscription_events_subscription_idx ON subscription_events (subscription_id, created_at);
