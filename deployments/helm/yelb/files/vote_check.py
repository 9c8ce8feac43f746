"""helm test: vote through the UI Service, as a user does, and read the count back.

Runs inside the appserver image (standard library only). YELB_UI_URL points at
the release's yelb-ui Service; every call goes through the UI front's /api proxy,
so a front that cannot reach the appserver fails the test. The first configured
option gets the vote.
"""

import json
import os
import sys
import urllib.request

BASE = os.environ["YELB_UI_URL"].rstrip("/")


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
    print(f"{BASE}: {option}: {before} -> vote answered {cast['value']} -> read back {after}")
    if not (cast["value"] > before and after >= before + 1):
        sys.exit(f"vote for {option} through {BASE} was not counted")


if __name__ == "__main__":
    main()
