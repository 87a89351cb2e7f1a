-- Destructive ops a safety guard held back in a run.
ALTER TABLE runs ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_trigger_finished ON runs (trigger, dry_run, finished_at);
CREATE INDEX operations_email ON operations (email);
