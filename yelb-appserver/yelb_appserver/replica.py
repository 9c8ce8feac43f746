"""Which release a replica runs, and the colour the page shows its answers in.

Every answer carries both as headers (X-Yelb-Version, X-Yelb-Color), with the
replica's host name (X-Yelb-Hostname): the page records which replica served each
of its requests and colours it by that release, and no JSON body of the original
API changes. During a
rolling update the room sees the colours shift; during a canary, one answer in N.
GET /api/whereami adds where the replica runs (whereami.py).
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from dataclasses import dataclass
from importlib import metadata

from . import whereami

VERSION_HEADER = "X-Yelb-Version"
COLOR_HEADER = "X-Yelb-Color"
# Every answer, not only /api/getstats: a page makes several requests per refresh, and a
# round robin over as many replicas would hand /api/getstats to the same one every time.
HOSTNAME_HEADER = "X-Yelb-Hostname"

# Fits an image tag, a semantic version or a git description; goes into a header as is.
MAX_VERSION_LENGTH = 64
VERSION_CHARACTERS = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII, no spaces

# Derived colours: the hue of a numbered release (1.4.2, v2) steps by the golden angle per
# unit of each number, so a release one up in any place (1.0.0 -> 1.0.1, 1.1.0, 2.0.0) lands
# about 137 degrees away; any other tag takes a hue from its hash. After a reset (1.4.2 ->
# 2.0.0) two releases can look alike by chance: YELB_COLOR settles it.
NUMBERED_RELEASE = re.compile(r"^v?\d+(\.\d+)*$")
GOLDEN_ANGLE = 137.508
LIGHTNESS = 0.42
SATURATION = 0.75


def parse_version(value: str) -> str:
    version = value.strip()
    if len(version) > MAX_VERSION_LENGTH:
        raise ValueError(f"must be at most {MAX_VERSION_LENGTH} characters, got {len(version)}")
    if version and not VERSION_CHARACTERS.match(version):
        raise ValueError(f"must be visible ASCII characters without spaces, got {version!r}")
    return version


def parse_color(value: str) -> str:
    """A CSS colour (a name, #hex, rgb(), hsl(), hwb()) as #rrggbb; empty stays empty."""
    text = value.strip()
    if not text:
        return ""
    # Imported here: only a replica given a colour needs the CSS parser.
    from tinycss2.color4 import parse_color as parse_css_color

    parsed = parse_css_color(text)
    if parsed is None or isinstance(parsed, str):  # None, or the keyword currentcolor
        raise ValueError(f"must be a CSS colour such as #1a56db, teal or hsl(200 70% 40%), got {text!r}")
    if parsed.alpha != 1:
        raise ValueError(f"must be opaque (answers are drawn on white), got {text!r}")
    try:
        srgb = parsed.to("srgb")
    except NotImplementedError:
        raise ValueError(f"must be given as a name, #hex, rgb(), hsl() or hwb(), got {text!r}") from None
    return "#" + "".join(f"{round(min(max(channel, 0.0), 1.0) * 255):02x}" for channel in srgb.coordinates)


def derived_color(version: str) -> str:
    """The same colour for the same version on every replica, with no coordination."""
    if NUMBERED_RELEASE.match(version):
        degrees = sum(int(number) for number in re.findall(r"\d+", version)) * GOLDEN_ANGLE
    else:
        degrees = int.from_bytes(hashlib.sha256(version.encode()).digest()[:8], "big") % 360
    red, green, blue = colorsys.hls_to_rgb((degrees % 360) / 360, LIGHTNESS, SATURATION)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def package_version() -> str:
    try:
        return metadata.version("yelb-appserver")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Release:
    version: str
    color: str

    @classmethod
    def from_config(cls, config) -> "Release":
        version = config.version or package_version()
        return cls(version=version, color=config.color or derived_color(version))

    def headers(self, hostname: str) -> list[tuple[str, str]]:
        """For every answer (middleware.py adds them)."""
        return [(VERSION_HEADER, self.version), (COLOR_HEADER, self.color), (HOSTNAME_HEADER, hostname)]

    def install(self, app, config, hostname: str) -> None:
        """GET /api/whereami."""
        from flask import jsonify

        def where_am_i():
            return jsonify({**whereami.describe(config, hostname),
                            "version": self.version, "color": self.color})

        app.add_url_rule("/api/whereami", "whereami", where_am_i, methods=["GET"])
