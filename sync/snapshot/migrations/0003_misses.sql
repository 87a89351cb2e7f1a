-- How many runs in a row each person has been out of scope without being
-- archived yet (safety.archive_after_misses).
CREATE TABLE misses (
    okta_id TEXT PRIMARY KEY,
    count   INTEGER NOT NULL
);
