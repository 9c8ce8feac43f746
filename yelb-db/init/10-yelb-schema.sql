-- Yelb schema, applied once by the PostgreSQL image's init mechanism to
-- POSTGRES_DB (yelbdatabase) when the data directory is empty.
-- Identical to what the appserver creates on its own against a stock
-- PostgreSQL, so either side may be first and neither resets a count.
CREATE TABLE IF NOT EXISTS restaurants (
    name  char(30) PRIMARY KEY,
    count integer
);

-- Votes sent with an Idempotency-Key, so that a retried vote counts once.
CREATE TABLE IF NOT EXISTS vote_keys (
    key      text PRIMARY KEY,
    name     text NOT NULL,
    voted_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO restaurants (name, count) VALUES
    ('outback', 0),
    ('bucadibeppo', 0),
    ('chipotle', 0),
    ('ihop', 0)
ON CONFLICT (name) DO NOTHING;
