-- The audit log as a Merkle tree (RFC 9162), replacing the hash chain of `audit_log`: the ledger
-- carries that table's entries over, in their order, the first time it opens this schema, then
-- drops it.
--
-- Each entry is kept as its RFC 8785 JSON (`body`: the bytes of its leaf, served and exported
-- as they are), with the columns auditors filter on. `audit_subjects` lists what each entry is
-- about (orders, quotes, tokens, agents, SKUs). `audit_nodes` holds every perfect node of the
-- tree (level 0: the leaves), which never change once complete: a proof reads a few of them.
-- `audit_tree` holds the frontier (size, then the right edge's nodes), enough to append and to
-- compute the root. `audit_checkpoints` keeps every signed checkpoint served.
CREATE TABLE IF NOT EXISTS audit_entries (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    principal TEXT,
    action    TEXT NOT NULL,
    body      TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_by_actor ON audit_entries (actor, seq);
CREATE INDEX IF NOT EXISTS audit_by_principal ON audit_entries (principal, seq) WHERE principal IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_by_action ON audit_entries (action, seq);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit_entries (at);

CREATE TABLE IF NOT EXISTS audit_subjects (
    subject TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (subject, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS audit_tree (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    frontier  BLOB NOT NULL
) STRICT;
INSERT INTO audit_tree (singleton, frontier) VALUES (1, X'') ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS audit_checkpoints (
    size    INTEGER PRIMARY KEY,
    body    TEXT NOT NULL,
    made_at INTEGER NOT NULL
) STRICT;
