"""helm test: cast one vote through the appserver and check the count went up.

Runs inside the appserver image (standard library only). YELB_APPSERVER_URL
points at the appserver Service; the first configured option gets the vote.
"""

import json
import os
import sys
import urllib.request

BASE = os.environ.get("YELB_APPSERVER_URL", "http://yelb-appserver:4567").rstrip("/")


def call(method, path):
    request = urllib.request.Request(BASE + path, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def count_of(option):
    votes = {entry["name"]: entry["value"] for entry in call("GET", "/api/getvotes")}
    return votes[option]


def main():
    option = call("GET", "/api/options")[0]["name"]
    before = count_of(option)
    cast = call("POST", f"/api/votes/{option}")
    after = count_of(option)
    print(f"{option}: {before} -> vote answered {cast['value']} -> {after}")
    if not (cast["value"] > before and after >= before + 1):
        sys.exit(f"vote for {option} was not counted")


if __name__ == "__main__":
    main()
