-- An entry's transaction keeps its number and bytes, nothing else: see the SQLite migration of
-- the same name. The one row of `audit_head`, which every append locks, holds the log's size (the
-- next entry's number) instead of the tree's frontier: the statement that takes the lock reads it
-- as the append before committed it.
ALTER TABLE audit_head ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET size = (SELECT coalesce(max(seq) + 1, 0) FROM audit_entries);
ALTER TABLE audit_head DROP COLUMN frontier;
ALTER TABLE audit_entries DROP COLUMN leaf;
