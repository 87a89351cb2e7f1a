-- The snapshot: the last record oktalms applied for each person it created or linked.
CREATE TABLE users (
    okta_id    TEXT PRIMARY KEY,
    lms_id     TEXT NOT NULL,
    email      TEXT NOT NULL,
    active     INTEGER NOT NULL,
    record     TEXT NOT NULL,   -- JSON of reconcile.User, as the LMS acknowledged it
    run_id     INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_lms_id ON users (lms_id);
CREATE INDEX users_email ON users (email);

-- Every run, dry or not, whoever asked.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger     TEXT NOT NULL,
    dry_run     INTEGER NOT NULL,
    full        INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,
    planned     INTEGER NOT NULL DEFAULT 0,
    applied     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    problems    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT ''
);

-- The operations journal: each op is written as started before the LMS is
-- called, then as applied or failed. A started op with no outcome is a run
-- that was killed mid-call.
CREATE TABLE operations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    seq         INTEGER NOT NULL,
    action      TEXT NOT NULL,
    okta_id     TEXT NOT NULL,
    lms_id      TEXT NOT NULL,
    email       TEXT NOT NULL,
    changes     TEXT NOT NULL,  -- JSON [{field, before, after}]
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,  -- started | applied | failed
    error       TEXT NOT NULL DEFAULT '',
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX operations_run ON operations (run_id, seq);
CREATE INDEX operations_okta_id ON operations (okta_id);
CREATE INDEX operations_status_action ON operations (status, action);
