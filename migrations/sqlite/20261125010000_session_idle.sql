-- When a session was last used, for the idle timeout. Sessions from before this column
-- count as idle and must sign in again.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT '1970-01-01T00:00:00Z';
