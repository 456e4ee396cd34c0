-- The time index ends with the event's id, as SQLite's does (its rowid is the last key of
-- every index): pages ordered by (occurred_at, id) then need no sort, a keyset cursor on
-- both bounds the scan, and an export slice's end is found from the index alone (without
-- the id it read every row of the slice from the table twice). Same name as SQLite's.
DROP INDEX activity_events_by_partner_time;
CREATE INDEX activity_events_by_partner_time ON activity_events (partner_id, occurred_at, id);
