-- A grant's spend kept as a running total on its row, moved by triggers on `grant_spend`, so
-- that checking an order's budget costs the same whatever the number of orders the grant
-- already paid for. The rows of `grant_spend` remain: the orders of the last 24 hours are
-- counted there, and releasing an order deletes its rows (which takes their amounts back).
ALTER TABLE grants ADD COLUMN spent BIGINT NOT NULL DEFAULT 0 CHECK (spent >= 0);
UPDATE grants SET spent = (SELECT COALESCE(SUM(amount), 0) FROM grant_spend s WHERE s.jti = grants.jti);
CREATE FUNCTION grant_spend_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE grants SET spent = spent + NEW.amount WHERE jti = NEW.jti;
    ELSE
        UPDATE grants SET spent = spent - OLD.amount WHERE jti = OLD.jti;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER grant_spend_moved AFTER INSERT OR DELETE ON grant_spend
    FOR EACH ROW EXECUTE FUNCTION grant_spend_moved();
