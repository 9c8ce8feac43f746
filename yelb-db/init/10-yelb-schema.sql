-- Yelb schema, applied once by the PostgreSQL image's init mechanism to
-- POSTGRES_DB (yelbdatabase) when the data directory is empty.
-- Identical to what the appserver creates on its own against a stock
-- PostgreSQL, so either side may be first and neither resets a count.
CREATE TABLE IF NOT EXISTS restaurants (
    name  char(30) PRIMARY KEY,
    count integer
);

INSERT INTO restaurants (name, count) VALUES
    ('outback', 0),
    ('bucadibeppo', 0),
    ('chipotle', 0),
    ('ihop', 0)
ON CONFLICT (name) DO NOTHING;
