-- The PostgreSQL ledger's schema, version 1: the tables of the embedded (SQLite) ledger, with the
-- same names and meanings. Applied once, by `PostgresLedger::connect`, in the schema the
-- connection's `search_path` selects; recorded in `_sqlx_migrations`.
--
-- Times are Unix seconds (BIGINT), as in SQLite. JSON bodies are TEXT: they read back
-- byte-identical to what was written (the audit chain hashes the canonical JSON of `details`).
-- Identifiers that are listed in order or compared with `<` (agent ids, order ids, jtis, SKUs)
-- use the "C" collation: byte order, as SQLite's, whatever the database's default collation.

CREATE TABLE stock (
    sku     TEXT COLLATE "C" PRIMARY KEY,
    on_hand BIGINT NOT NULL CHECK (on_hand >= 0)
);

-- Brand-private: never served by any endpoint, never part of the catalog graph.
CREATE TABLE sku_costs (
    sku         TEXT PRIMARY KEY,
    cost_minor  BIGINT NOT NULL,
    floor_minor BIGINT NOT NULL,
    currency    TEXT NOT NULL
);

CREATE TABLE quotes (
    id         TEXT PRIMARY KEY,
    agent      TEXT NOT NULL,
    body       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    order_id   TEXT UNIQUE
);

-- `principal` is copied out of the body (SQLite indexes `json_extract(body, '$.principal')`).
CREATE TABLE orders (
    id         TEXT COLLATE "C" PRIMARY KEY,
    agent      TEXT NOT NULL,
    quote_id   TEXT NOT NULL UNIQUE REFERENCES quotes (id),
    principal  TEXT,
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX orders_by_agent ON orders (agent, created_at);
-- Loyalty tiers count a principal's recent orders (only when the person consented).
CREATE INDEX orders_by_principal ON orders (principal, created_at) WHERE principal IS NOT NULL;

CREATE TABLE idempotency_keys (
    agent       TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    order_id    TEXT COLLATE "C" NOT NULL REFERENCES orders (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (agent, endpoint, key)
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    credential TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

-- One row, locked (`SELECT ... FOR UPDATE`) by every transaction just before it appends to the
-- audit log: appends are serialized, so each entry chains onto the committed tip. A row lock
-- rather than an advisory lock keeps ledgers in different schemas of one database apart.
CREATE TABLE audit_head (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton)
);
INSERT INTO audit_head (singleton) VALUES (TRUE);

-- The agent registry. `keys` is a JSON array of public JWKs; `contact` is personal data and
-- never goes into the audit log.
CREATE TABLE agents (
    id            TEXT COLLATE "C" PRIMARY KEY,
    name          TEXT NOT NULL,
    contact       TEXT NOT NULL,
    keys          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    registered_at BIGINT NOT NULL
);
CREATE INDEX agents_suspended ON agents (id) WHERE status = 'suspended';

-- One row per issued, exchanged or trusted external token. `limits` is the JSON of its
-- `Limits`; the amounts orders are checked against are copied into columns for queries.
CREATE TABLE grants (
    jti           TEXT COLLATE "C" PRIMARY KEY,
    parent        TEXT,
    agent         TEXT NOT NULL,
    role          TEXT NOT NULL,
    principal     TEXT,
    limits        TEXT NOT NULL,
    currency      TEXT,
    total_limit   BIGINT,
    per_order     BIGINT,
    max_per_day   BIGINT,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    revoked_by    TEXT,
    revoke_reason TEXT
);
CREATE INDEX grants_revoked ON grants (expires_at) WHERE revoked_at IS NOT NULL;

-- What each order spent under each grant of its token's chain (the token's grant and every
-- ancestor): a grant's spend is the sum of its rows, its daily count the rows of the last 24h.
CREATE TABLE grant_spend (
    jti      TEXT COLLATE "C" NOT NULL REFERENCES grants (jti),
    order_id TEXT COLLATE "C" NOT NULL REFERENCES orders (id),
    amount   BIGINT NOT NULL CHECK (amount >= 0),
    at       BIGINT NOT NULL,
    PRIMARY KEY (jti, order_id)
);
CREATE INDEX grant_spend_by_time ON grant_spend (jti, at);
CREATE INDEX grant_spend_by_order ON grant_spend (order_id);

-- Quotes: `quotes.body` is the current version; each version a counter-offer replaced is kept
-- here. `quote_bounds` holds the brand-private negotiation bounds of a quote (walk-away prices):
-- no route serves them.
CREATE TABLE quote_versions (
    quote_id TEXT NOT NULL REFERENCES quotes (id),
    round    BIGINT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (quote_id, round)
);

CREATE TABLE quote_bounds (
    quote_id TEXT PRIMARY KEY REFERENCES quotes (id),
    body     TEXT NOT NULL
);

-- Demand and recent prices, what dynamic pricing reads, in hourly buckets per SKU (so that
-- reading a window costs the same whatever the volume): units of first quote versions and of
-- orders, and the lowest and highest one-unit base price quoted in the hour.
CREATE TABLE sku_activity (
    sku      TEXT COLLATE "C" NOT NULL,
    hour     BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    base_min BIGINT,
    base_max BIGINT,
    currency TEXT,
    PRIMARY KEY (sku, hour)
);

-- Every version of the pricing policy the operator loaded; the newest is in force.
CREATE TABLE pricing_policies (
    version   BIGINT PRIMARY KEY,
    body      TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    loaded_by TEXT NOT NULL
);
