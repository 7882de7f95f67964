-- The audit log as a Merkle tree (RFC 9162), replacing the hash chain of `audit_log`: the ledger
-- carries that table's entries over, in their order, the first time it opens this schema, then
-- drops it. See the SQLite migration of the same name for what each table holds.
--
-- Appends are serialized by the one row of `audit_head`, which now holds the tree's frontier
-- (size, then the right edge's nodes; empty for the empty tree) instead of the chain's tip.
CREATE TABLE audit_entries (
    seq       BIGINT PRIMARY KEY,
    at        TEXT COLLATE "C" NOT NULL,
    actor     TEXT COLLATE "C" NOT NULL,
    principal TEXT COLLATE "C",
    action    TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_entries (actor, seq);
CREATE INDEX audit_by_principal ON audit_entries (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX audit_by_action ON audit_entries (action, seq);
CREATE INDEX audit_by_time ON audit_entries (at);

CREATE TABLE audit_subjects (
    subject TEXT COLLATE "C" NOT NULL,
    seq     BIGINT NOT NULL,
    PRIMARY KEY (subject, seq)
);

CREATE TABLE audit_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    size    BIGINT PRIMARY KEY,
    body    TEXT NOT NULL,
    made_at BIGINT NOT NULL
);

ALTER TABLE audit_head DROP COLUMN seq, DROP COLUMN hash,
    ADD COLUMN frontier BYTEA NOT NULL DEFAULT ''::BYTEA;
