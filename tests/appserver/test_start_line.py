"""The start-up line is one flat JSON object: its facts are keys of their own, not JSON in a string."""

import json


def test_start_line_carries_its_facts_as_keys(appserver_factory, tmp_path):
    path = tmp_path / "y.sqlite3"
    server = appserver_factory({"YELB_SQLITE_PATH": str(path)}, workers=2)
    [starting] = [json.loads(line) for line in server.log_text().splitlines()
                  if "yelb-appserver starting" in line]
    assert starting["votes"] == starting["pageviews"] == f"sqlite:{path}"
    assert (starting["workers"], starting["port"]) == (2, server.port)
    assert "{" not in starting["message"]
    assert f"votes=sqlite:{path}" in starting["message"]
