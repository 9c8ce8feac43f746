"""GET /api/room: the question and the public URL, from the configuration."""


def test_the_original_question_and_no_public_url_by_default(client):
    answer = client.get("/api/room")
    assert answer.status_code == 200
    assert answer.get_json() == {"question": "Where should we go for lunch?", "public_url": None}
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_the_room_is_configured_like_the_options(make_app):
    client = make_app(YELB_QUESTION="  Which  orchestrator\tnext? ",
                      YELB_PUBLIC_URL="https://vote.example.org/room-4").test_client()
    assert client.get("/api/room").get_json() == {
        "question": "Which orchestrator next?", "public_url": "https://vote.example.org/room-4"}

