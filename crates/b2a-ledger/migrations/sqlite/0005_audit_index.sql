-- The auditor's filters leave the transaction of the write an entry records: that transaction
-- keeps only what the tree and its proofs need (the entry's bytes, the nodes it completes, the
-- frontier), and the ledger indexes new entries afterwards, in transactions of its own
-- (`audit_index`: time, actor, principal and action by sequence number; `audit_subjects`), up to
-- the head before every filtered read and on a short interval in between.
--
-- Written to run again harmlessly on a file that did not record its migrations: the index is
-- filled from the entries' own bytes, and `audit_entries` is rebuilt as (seq, body) whatever
-- columns it had.
CREATE TABLE IF NOT EXISTS audit_index (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    principal TEXT,
    action    TEXT NOT NULL
) STRICT;
INSERT INTO audit_index (seq, at, actor, principal, action)
SELECT seq, body ->> 'at', body ->> 'actor', body ->> 'principal', body ->> 'action'
FROM audit_entries WHERE true
ON CONFLICT DO NOTHING;

DROP INDEX IF EXISTS audit_by_actor;
DROP INDEX IF EXISTS audit_by_principal;
DROP INDEX IF EXISTS audit_by_action;
DROP INDEX IF EXISTS audit_by_time;
CREATE TABLE audit_entries_bytes (
    seq  INTEGER PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;
INSERT INTO audit_entries_bytes (seq, body) SELECT seq, body FROM audit_entries;
DROP TABLE audit_entries;
ALTER TABLE audit_entries_bytes RENAME TO audit_entries;

CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_index (actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_principal ON audit_index (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_index (action, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_index (at);
