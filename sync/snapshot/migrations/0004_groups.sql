-- The mirrored groups, as last applied: keyed by Okta group id.
CREATE TABLE groups (
    okta_id    TEXT PRIMARY KEY,
    lms_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    members    TEXT NOT NULL,  -- JSON [okta user id], sorted
    managers   TEXT NOT NULL,  -- JSON [okta user id], sorted
    updated_at TEXT NOT NULL
);

ALTER TABLE operations ADD COLUMN group_okta_id TEXT NOT NULL DEFAULT '';
ALTER TABLE operations ADD COLUMN group_lms_id TEXT NOT NULL DEFAULT '';
ALTER TABLE operations ADD COLUMN group_name TEXT NOT NULL DEFAULT '';
CREATE INDEX operations_group ON operations (group_okta_id);
