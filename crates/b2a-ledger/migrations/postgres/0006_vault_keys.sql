-- The keys the personal-data vault's rows are sealed with; see the SQLite migration of the same
-- name.
CREATE TABLE vault_keys (
    owner      TEXT COLLATE "C" PRIMARY KEY,
    key        BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX vault_by_principal ON vault (principal) WHERE principal IS NOT NULL;
