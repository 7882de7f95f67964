-- The audit chain's tip (the last entry's sequence number and hash) kept on the row every append
-- locks: the statement that takes the lock reads the tip as committed by the append before
-- (a row locked after waiting is read in its newest version), so an append takes one trip to
-- lock and read and one to write. NULL while the log is empty.
ALTER TABLE audit_head ADD COLUMN seq BIGINT, ADD COLUMN hash TEXT;
UPDATE audit_head SET (seq, hash) = (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1);
