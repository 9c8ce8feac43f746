-- Yelb's tables, the one schema of votes. The appserver runs this file itself
-- when the tables are missing (on PostgreSQL and, as written, on SQLite), and
-- the yelb-db image runs it at first start as /docker-entrypoint-initdb.d/10-yelb-schema.sql,
-- so either side may be first and neither resets a count.

-- The original Yelb's table. On PostgreSQL char(30) pads names with spaces,
-- which the appserver's queries trim; SQLite keeps them as written.
CREATE TABLE IF NOT EXISTS restaurants (
    name  char(30) PRIMARY KEY,
    count integer
);

-- Votes sent with an Idempotency-Key, so that a retried vote counts once.
-- The appserver deletes keys older than an hour in small batches; the index
-- lets it find them without reading the table. SQLite stores the time as
-- text, 'YYYY-MM-DD HH:MM:SS' in UTC.
CREATE TABLE IF NOT EXISTS vote_keys (
    key      text PRIMARY KEY,
    name     text NOT NULL,
    voted_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS vote_keys_voted_at ON vote_keys (voted_at);
