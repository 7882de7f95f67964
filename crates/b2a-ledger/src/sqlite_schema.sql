-- The embedded ledger's schema. Idempotent: applied at every open.
CREATE TABLE IF NOT EXISTS stock (
    sku     TEXT PRIMARY KEY,
    on_hand INTEGER NOT NULL CHECK (on_hand >= 0)
) STRICT;

-- Brand-private: never served by any endpoint, never part of the catalog graph.
CREATE TABLE IF NOT EXISTS sku_costs (
    sku         TEXT PRIMARY KEY,
    cost_minor  INTEGER NOT NULL,
    floor_minor INTEGER NOT NULL,
    currency    TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS quotes (
    id         TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    body       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    order_id   TEXT UNIQUE
) STRICT;

CREATE TABLE IF NOT EXISTS orders (
    id         TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    quote_id   TEXT NOT NULL UNIQUE REFERENCES quotes (id),
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS orders_by_agent ON orders (agent, created_at);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    agent       TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (agent, endpoint, key)
) STRICT;

CREATE TABLE IF NOT EXISTS audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    credential TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;
