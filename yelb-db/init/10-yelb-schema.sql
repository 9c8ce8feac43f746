-- Yelb schema, applied once by the PostgreSQL image's init mechanism (psql) to
-- POSTGRES_DB (yelbdatabase) when the data directory is empty.
-- The tables are identical to what the appserver creates on its own against a
-- stock PostgreSQL, so either side may be first and neither resets a count.
CREATE TABLE IF NOT EXISTS restaurants (
    name  char(30) PRIMARY KEY,
    count integer
);

-- Votes sent with an Idempotency-Key, so that a retried vote counts once.
-- The appserver deletes keys older than an hour in small batches; the index
-- lets it find them without reading the table.
CREATE TABLE IF NOT EXISTS vote_keys (
    key      text PRIMARY KEY,
    name     text NOT NULL,
    voted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS vote_keys_voted_at ON vote_keys (voted_at);

INSERT INTO restaurants (name, count) VALUES
    ('outback', 0),
    ('bucadibeppo', 0),
    ('chipotle', 0),
    ('ihop', 0)
ON CONFLICT (name) DO NOTHING;

-- The appserver's role (YELB_DB_USER=yelb in the deployment files): it may
-- log in, read and count votes, and remember and forget keys; nothing else.
-- Not a superuser, so it never takes the connections PostgreSQL keeps for
-- administrators (superuser_reserved_connections). Its password is the
-- database's (POSTGRES_PASSWORD), so a deployment keeps one secret.
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yelb') AS yelb_role_missing \gset
\if :yelb_role_missing
CREATE ROLE yelb LOGIN;
\endif
\getenv yelb_password POSTGRES_PASSWORD
\if :{?yelb_password}
ALTER ROLE yelb PASSWORD :'yelb_password';
\endif
GRANT CONNECT ON DATABASE :"DBNAME" TO yelb;
GRANT USAGE ON SCHEMA public TO yelb;
GRANT SELECT, INSERT, UPDATE ON restaurants TO yelb;
GRANT SELECT, INSERT, DELETE ON vote_keys TO yelb;
