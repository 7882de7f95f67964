-- An entry's transaction keeps its bytes, its leaf hash beside them and the frontier; the tree's
-- nodes are written by the indexer: see the SQLite migration of the same name.
ALTER TABLE audit_entries ADD COLUMN leaf BYTEA;
UPDATE audit_entries e SET leaf = n.hash FROM audit_nodes n WHERE n.level = 0 AND n.idx = e.seq;
