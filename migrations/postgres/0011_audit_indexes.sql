-- `wf audit --since 1d` over everyone's steps: a time window read from an index, as
-- `process_steps_user_time_idx` (0010) does for one user.
CREATE INDEX process_steps_time_idx ON process_steps (completed_at);
