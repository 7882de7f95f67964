-- The embedded ledger's first schema. Idempotent (files made before migrations were recorded
-- already hold it).
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
-- Loyalty tiers count a principal's recent orders (only when the person consented).
CREATE INDEX IF NOT EXISTS orders_by_principal
    ON orders (json_extract(body, '$.principal'), created_at);

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

-- The agent registry. `keys` is a JSON array of public JWKs; `contact` is personal data and
-- never goes into the audit log.
CREATE TABLE IF NOT EXISTS agents (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    contact       TEXT NOT NULL,
    keys          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    registered_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS agents_suspended ON agents (id) WHERE status = 'suspended';

-- One row per issued, exchanged or trusted external token. `limits` is the JSON of its
-- `Limits`; the amounts orders are checked against are copied into columns for queries.
-- Times are Unix seconds.
CREATE TABLE IF NOT EXISTS grants (
    jti           TEXT PRIMARY KEY,
    parent        TEXT,
    agent         TEXT NOT NULL,
    role          TEXT NOT NULL,
    principal     TEXT,
    limits        TEXT NOT NULL,
    currency      TEXT,
    total_limit   INTEGER,
    per_order     INTEGER,
    max_per_day   INTEGER,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoked_by    TEXT,
    revoke_reason TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS grants_revoked ON grants (expires_at) WHERE revoked_at IS NOT NULL;

-- What each order spent under each grant of its token's chain (the token's grant and every
-- ancestor): a grant's spend is the sum of its rows, its daily count the rows of the last 24h.
CREATE TABLE IF NOT EXISTS grant_spend (
    jti      TEXT NOT NULL REFERENCES grants (jti),
    order_id TEXT NOT NULL REFERENCES orders (id),
    amount   INTEGER NOT NULL CHECK (amount >= 0),
    at       INTEGER NOT NULL,
    PRIMARY KEY (jti, order_id)
) STRICT;
CREATE INDEX IF NOT EXISTS grant_spend_by_time ON grant_spend (jti, at);

-- Quotes: `quotes.body` is the current version; each version a counter-offer replaced is kept
-- here. `quote_bounds` holds the brand-private negotiation bounds of a quote (walk-away prices):
-- no route serves them.
CREATE TABLE IF NOT EXISTS quote_versions (
    quote_id TEXT NOT NULL REFERENCES quotes (id),
    round    INTEGER NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (quote_id, round)
) STRICT;

CREATE TABLE IF NOT EXISTS quote_bounds (
    quote_id TEXT PRIMARY KEY REFERENCES quotes (id),
    body     TEXT NOT NULL
) STRICT;

-- Demand and recent prices, what dynamic pricing reads, in hourly buckets per SKU (so that
-- reading a window costs the same whatever the volume): units of first quote versions and of
-- orders, and the lowest and highest one-unit base price quoted in the hour.
CREATE TABLE IF NOT EXISTS sku_activity (
    sku      TEXT NOT NULL,
    hour     INTEGER NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    base_min INTEGER,
    base_max INTEGER,
    currency TEXT,
    PRIMARY KEY (sku, hour)
) STRICT;

-- Every version of the pricing policy the operator loaded; the newest is in force.
CREATE TABLE IF NOT EXISTS pricing_policies (
    version   INTEGER PRIMARY KEY,
    body      TEXT NOT NULL,
    loaded_at INTEGER NOT NULL,
    loaded_by TEXT NOT NULL
) STRICT;

-- The history of every order: its placement (seq 1) and each change of status, with who and why.
CREATE TABLE IF NOT EXISTS order_events (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    transition TEXT,
    actor      TEXT NOT NULL,
    reason     TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (order_id, seq)
) STRICT;
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, id);

-- The personal-data vault: fulfilment details (address, contact) an order references by `ref`.
-- Never in an order body, never in the audit log.
CREATE TABLE IF NOT EXISTS vault (
    ref        TEXT PRIMARY KEY,
    principal  TEXT,
    purpose    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
