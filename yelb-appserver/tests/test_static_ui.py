"""With YELB_UI_DIR, the appserver serves the static page itself."""

from pathlib import Path

PUBLIC = Path(__file__).resolve().parents[2] / "yelb-ui" / "public"


def test_page_and_assets_are_served_next_to_the_api(make_app):
    client = make_app(YELB_UI_DIR=str(PUBLIC)).test_client()
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert page.get_data(as_text=True) == (PUBLIC / "index.html").read_text()
    asset = next(path for path in PUBLIC.rglob("*.js"))
    served = client.get(f"/{asset.relative_to(PUBLIC)}")
    assert served.status_code == 200
    assert served.data == asset.read_bytes()
    assert client.get("/api/getvotes").status_code == 200


def test_missing_files_and_escapes_are_404(make_app):
    client = make_app(YELB_UI_DIR=str(PUBLIC)).test_client()
    assert client.get("/no-such-file.js").status_code == 404
    assert client.get("/..%2f..%2fetc/passwd").status_code == 404
    assert client.get("/../pyproject.toml").status_code == 404


def test_without_ui_dir_the_root_is_404(client):
    assert client.get("/").status_code == 404
