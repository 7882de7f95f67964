-- The transaction of the write an entry records keeps the entry's bytes, its leaf hash beside
-- them, and the tree's frontier: nothing else of the tree. The perfect nodes proofs are made of
-- (`audit_nodes`, each leaf among them) are written by the ledger's indexer, from the recorded
-- leaves, with what auditors filter by.
--
-- The leaves already stored are recorded beside their entries. On a file that did not record its
-- migrations (migration 5 ran again and indexed every entry), the entries whose nodes are not
-- stored yet are unindexed again, so that the indexer writes their nodes with their facets (an
-- entry whose leaf is not recorded is hashed from its bytes).
ALTER TABLE audit_entries ADD COLUMN leaf BLOB;
UPDATE audit_entries SET leaf = (SELECT hash FROM audit_nodes WHERE level = 0 AND idx = seq);
DELETE FROM audit_subjects
WHERE seq >= (SELECT coalesce(max(idx) + 1, 0) FROM audit_nodes WHERE level = 0);
DELETE FROM audit_index
WHERE seq >= (SELECT coalesce(max(idx) + 1, 0) FROM audit_nodes WHERE level = 0);
