-- Only the unfinished ops are ever looked up by status: a partial index
-- stays tiny, and marking an op applied no longer rewrites an index entry.
DROP INDEX operations_status_action;
CREATE INDEX operations_started ON operations (id) WHERE status = 'started';
