"""The original Yelb API on real PostgreSQL and Redis: its table, its Redis key, and the
host name of the process. Route by route it is in yelb-appserver/tests/test_compatible_api.py."""

import socket

import requests


def test_votes_land_in_the_original_table(api, postgres, database_name):
    api.get("/api/chipotle")
    assert postgres.counts(database_name) == {"outback": 0, "bucadibeppo": 0, "ihop": 0,
                                              "chipotle": 1}
    with postgres.connect(database_name) as conn:
        column_types = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'restaurants'").fetchall())
    assert column_types == {"name": "character", "count": "integer"}


def test_getstats_reports_the_host_and_counts_a_page_view(api, appserver, redis_server):
    before = int(redis_server.client().get("pageviews") or 0)
    stats = api.get("/api/getstats").json()
    assert stats == {"hostname": socket.gethostname(), "pageviews": before + 1}
    assert int(redis_server.client().get("pageviews")) == before + 1


def test_hostname_follows_the_uts_namespace(appserver_factory, app_env):
    server = appserver_factory(app_env, hostname="appserver-7")
    assert server.hostname == "appserver-7"
    assert requests.get(f"{server.url}/api/hostname", timeout=5).text == "appserver-7"
    assert requests.get(f"{server.url}/api/getstats", timeout=5).json()["hostname"] == "appserver-7"
