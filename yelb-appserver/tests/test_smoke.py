def test_a_vote_counts_once(client):
    before = {row["name"]: row["value"] for row in client.get("/api/getvotes").get_json()}
    assert client.post("/api/votes/ihop").status_code == 200
    after = {row["name"]: row["value"] for row in client.get("/api/getvotes").get_json()}
    assert after["ihop"] == before["ihop"] + 1
