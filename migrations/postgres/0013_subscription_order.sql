-- The subscriptions list (web UI, `wf subscriptions`, GET /api/subscriptions) sorted by
-- description, as by default, in the byte order it sorts by (`COLLATE "C"`, as SQLite):
-- its pages walk this index and stop at the page's last row, instead of sorting every
-- subscription.
CREATE INDEX subscriptions_description_idx ON subscriptions ((description COLLATE "C"), subscription_id);
