-- The keys the personal-data vault's rows are sealed with (in the gateway, before they reach the
-- ledger), one per owner: a principal's pseudonym, or `agent:<id>` for an order without one.
-- 64 bytes: the encryption key, then the salt of the owner's audit commitments. Erasing a
-- principal deletes its key and its rows in one transaction (crypto-shredding: a copy of a row
-- no longer opens).
CREATE TABLE IF NOT EXISTS vault_keys (
    owner      TEXT PRIMARY KEY,
    key        BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS vault_by_principal ON vault (principal) WHERE principal IS NOT NULL;
