-- A claim names the worker process that holds it: the worker's liveness key, a session-level advisory
-- lock held on the worker's own connection while the process lives. A claim whose key is no longer
-- held (the process died) is taken back at once instead of waiting for its lease to run out.
ALTER TABLE notifications ADD COLUMN claimed_by bigint;
