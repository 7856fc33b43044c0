-- What `wf bench --scale 100000` found scanning or sorting whole tables (100,000
-- subscriptions, about 1.5 million step rows), each now an index lookup or an ordered index
-- walk that stops at the page's last row. Every key below is a column that never changes
-- once written, or `last_status` as the index it replaces had it: a step that leaves the
-- process row alone writes none of them.

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

-- `wf audit`: the versions each step row saved, looked up once per row shown (without it,
-- each row read every version of every subscription).
CREATE INDEX subscription_versions_process_idx ON subscription_versions (process_id, step_name);

-- `wf subscription show 7bcc…` and `wf process show 7bcc…`: SQLite answers LIKE 'prefix%'
-- from an index only when the index compares as LIKE does, ignoring case.
CREATE INDEX subscriptions_id_prefix_idx ON subscriptions (subscription_id COLLATE NOCASE);
CREATE INDEX processes_id_prefix_idx ON processes (process_id COLLATE NOCASE);

-- `wf subscription history`: a subscription's operator events (forced unlocks, set in sync).
CREATE INDEX subscription_events_subscription_idx ON subscription_events (subscription_id, created_at);

-- Listings of one product (`wf subscriptions --product Node`, the subscription choice of a
-- modify, create_circuit's node list) name it by name or type. With both indexed, SQLite
-- finds the product first and its subscriptions by `subscriptions_product_idx`, instead of
-- scanning every subscription (it keeps no statistics to know the products table is tiny).
CREATE INDEX products_type_idx ON products (product_type);
