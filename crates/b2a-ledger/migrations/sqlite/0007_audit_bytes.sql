-- The transaction of the write an entry records keeps the entry's number and bytes, nothing else:
-- the leaf hashes and the perfect nodes proofs are made of (`audit_nodes`) are derived from those
-- bytes by the ledger's indexer, with what auditors filter by, and the head's root from the
-- stored nodes. The next entry's number is one past the largest stored.
--
-- Entries appended but not indexed yet lose their recorded leaf: the indexer hashes their bytes,
-- which is what the leaf was.
DROP TABLE audit_tree;
ALTER TABLE audit_entries DROP COLUMN leaf;
