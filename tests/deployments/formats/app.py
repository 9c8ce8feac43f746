"""The application's side of the contract, read from the appserver's code:
its settings (names, defaults, parsers) and its routes."""

from __future__ import annotations

import functools

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
