-- Runs after 10-yelb-schema.sql (the appserver's yelb_appserver/stores/schema.sql,
-- copied in by the Dockerfile), by the PostgreSQL image's init mechanism (psql),
-- once, on POSTGRES_DB (yelbdatabase) when the data directory is empty.

-- The original yelb-db's four options at 0, as the original Ruby appserver expects.
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
