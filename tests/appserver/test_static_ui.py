"""With YELB_UI_DIR, the appserver serves the static page itself."""

from pathlib import Path

import requests

PUBLIC = Path(__file__).resolve().parents[2] / "yelb-ui" / "public"


def test_page_and_assets_are_served_next_to_the_api(appserver_factory):
    server = appserver_factory({"YELB_UI_DIR": str(PUBLIC)})
    page = requests.get(f"{server.url}/", timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert page.text == (PUBLIC / "index.html").read_text()
    asset = next(path for path in PUBLIC.rglob("*.js"))
    served = requests.get(f"{server.url}/{asset.relative_to(PUBLIC)}", timeout=5)
    assert served.status_code == 200
    assert served.content == asset.read_bytes()
    assert requests.get(f"{server.url}/api/getvotes", timeout=5).status_code == 200


def test_missing_files_and_escapes_are_404(appserver_factory):
    server = appserver_factory({"YELB_UI_DIR": str(PUBLIC)})
    assert requests.get(f"{server.url}/no-such-file.js", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/..%2f..%2fetc/passwd", timeout=5).status_code == 404


def test_without_ui_dir_the_root_is_404(appserver):
    assert requests.get(f"{appserver.url}/", timeout=5).status_code == 404
