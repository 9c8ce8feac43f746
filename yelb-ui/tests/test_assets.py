"""The page's files themselves: versioned asset URLs (so nginx may cache them for
a year), nothing loaded from another host, no inline script or style (so the
front's Content-Security-Policy holds), exactly pinned npm dependencies."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

UI_DIR = Path(__file__).resolve().parents[1]
PUBLIC_DIR = UI_DIR / "public"
PACKAGE = json.loads((UI_DIR / "package.json").read_text())
LOCK = json.loads((UI_DIR / "package-lock.json").read_text())
VERSION = PACKAGE["version"]
OWN_FILES = [*PUBLIC_DIR.glob("*.html"), *PUBLIC_DIR.glob("css/*.css"), *PUBLIC_DIR.glob("js/*.js")]
IMPORT = re.compile(r"""^import .* from "([^"]+)";$""", re.MULTILINE)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        self._in_script = False


def index_tags() -> Tags:
    parser = Tags()
    parser.feed((PUBLIC_DIR / "index.html").read_text())
    return parser


def local_references() -> list[str]:
    tags = index_tags().tags
    references = [attrs["src"] for tag, attrs in tags if tag == "script"]
    references += [attrs["href"] for tag, attrs in tags if tag == "link"]
    for script in PUBLIC_DIR.glob("js/*.js"):
        references += IMPORT.findall(script.read_text())
    return references


def test_every_asset_reference_carries_the_ui_version_and_exists():
    references = local_references()
    assert len(references) >= 8  # stylesheet, icon, app.js, its imports, the vendored QR code
    for reference in references:
        path, _, query = reference.partition("?")
        assert query == f"v={VERSION}", f"{reference} needs ?v={VERSION} (the version in package.json)"
        base = PUBLIC_DIR / "js" if path.startswith(".") else PUBLIC_DIR
        assert (base / path).resolve().is_file(), f"{reference} points at no file"
    assert f'<span id="ui-version">{VERSION}</span>' in (PUBLIC_DIR / "index.html").read_text()


def test_nothing_is_loaded_from_another_host():
    for file in OWN_FILES:
        text = file.read_text()
        # The SVG namespace is a name, not a download.
        text = text.replace("http://www.w3.org/2000/svg", "")
        assert not re.search(r"""(https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", text, re.IGNORECASE), file


def test_no_inline_script_style_or_event_handler():
    parser = index_tags()
    assert parser.inline_scripts == 0
    for tag, attrs in parser.tags:
        assert tag != "style" and "style" not in attrs, f"inline style on <{tag}>"
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
    for script in PUBLIC_DIR.glob("js/*.js"):
        assert "innerHTML" not in script.read_text(), script  # DOM building only


def test_npm_dependencies_are_pinned_and_locked():
    for name, version in PACKAGE["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version} is not an exact version"
        assert LOCK["packages"][f"node_modules/{name}"]["version"] == version
    vendored = (PUBLIC_DIR / "vendor" / "qrcode-generator.js").read_text()
    assert "QR Code Generator for JavaScript" in vendored and "MIT license" in vendored
