"""The per-request metric series stay bounded whatever methods and paths clients invent."""

from yelb_appserver import metrics


def test_invented_methods_and_paths_do_not_grow_the_request_series(client):
    for index in range(300):
        client.open(f"/nowhere/{index}", method=f"INVENTED{index}")
        client.get(f"/api/votes/{index}")
    assert len(metrics._request_series) <= 10
