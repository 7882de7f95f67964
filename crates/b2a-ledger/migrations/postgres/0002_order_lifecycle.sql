-- Version 2: orders after placement — their history, the personal-data vault their fulfilment
-- details go to, and the list of orders held for approval.

-- The history of every order: its placement (seq 1) and each change of status, with who and why.
CREATE TABLE order_events (
    order_id   TEXT COLLATE "C" NOT NULL REFERENCES orders (id),
    seq        BIGINT NOT NULL,
    status     TEXT NOT NULL,
    transition TEXT,
    actor      TEXT NOT NULL,
    reason     TEXT,
    at         BIGINT NOT NULL,
    PRIMARY KEY (order_id, seq)
);
CREATE INDEX orders_by_status ON orders (status, id);

-- The personal-data vault: fulfilment details (address, contact) an order references by `ref`.
-- Never in an order body, never in the audit log.
CREATE TABLE vault (
    ref        TEXT PRIMARY KEY,
    principal  TEXT,
    purpose    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The vault entry of an order's fulfilment details, copied out of its body (SQLite reads
-- `json_extract(body, '$.fulfilment_ref')`).
ALTER TABLE orders ADD COLUMN fulfilment_ref TEXT;
