-- The auditor's filters leave the transaction of the write an entry records: see the SQLite
-- migration of the same name. `audit_entries` keeps the entries' bytes; `audit_index` and
-- `audit_subjects` are written by the ledger's indexer, after the fact.
CREATE TABLE audit_index (
    seq       BIGINT PRIMARY KEY,
    at        TEXT COLLATE "C" NOT NULL,
    actor     TEXT COLLATE "C" NOT NULL,
    principal TEXT COLLATE "C",
    action    TEXT COLLATE "C" NOT NULL
);
INSERT INTO audit_index (seq, at, actor, principal, action)
SELECT seq, at, actor, principal, action FROM audit_entries;

ALTER TABLE audit_entries DROP COLUMN at, DROP COLUMN actor, DROP COLUMN principal,
    DROP COLUMN action;

CREATE INDEX audit_by_actor ON audit_index (actor, seq);
CREATE INDEX audit_by_principal ON audit_index (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX audit_by_action ON audit_index (action, seq);
CREATE INDEX audit_by_time ON audit_index (at);
