-- An order's principal and vault reference as columns of `orders`, as the PostgreSQL schema keeps
-- them, so that the statements both engines share read `orders.principal` and
-- `orders.fulfilment_ref`. Computed from the body (virtual: nothing is stored twice); the
-- principal's index moves from the expression to the column.
ALTER TABLE orders ADD COLUMN principal TEXT
    GENERATED ALWAYS AS (json_extract(body, '$.principal')) VIRTUAL;
ALTER TABLE orders ADD COLUMN fulfilment_ref TEXT
    GENERATED ALWAYS AS (json_extract(body, '$.fulfilment_ref')) VIRTUAL;
DROP INDEX IF EXISTS orders_by_principal;
CREATE INDEX orders_by_principal ON orders (principal, created_at);
