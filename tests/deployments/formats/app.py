"""The application's side of the contract, read from the code: the appserver's
settings (names, defaults, parsers) and routes, and the UI front's nginx locations."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from yelb_appserver import create_app
from yelb_appserver.config import SETTINGS, Config

SETTING_NAMES = frozenset(setting.name for setting in SETTINGS)
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


@functools.cache
def probe_paths() -> frozenset[str]:
    """GET routes with no variable part: the only paths a probe may use (a
    path like /api/<option> would cast a vote, not check health)."""
    # An embedded store in memory: building the app must not need a server.
    app = create_app(Config.from_env({"YELB_SQLITE_PATH": ":memory:"}))
    return frozenset(rule.rule for rule in app.url_map.iter_rules()
                     if "GET" in rule.methods and "<" not in rule.rule)


def config_for(env: dict[str, str]) -> Config:
    """Parse env exactly as the appserver does at start (ConfigError if invalid)."""
    return Config.from_env(env)


UI_NGINX_TEMPLATE = Path(__file__).resolve().parents[3] / "yelb-ui" / "nginx" / "nginx.conf.template"


@functools.cache
def ui_probe_paths() -> frozenset[str]:
    """Exact-match locations of the UI front (`location = /healthz`)."""
    return frozenset(re.findall(r"^\s*location\s*=\s*(/\S*)\s*\{", UI_NGINX_TEMPLATE.read_text(), re.MULTILINE))
