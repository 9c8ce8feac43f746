"""The application's side of the contract, read from the code: the appserver's
settings (names, defaults, parsers), routes and image environment, and the UI
front's nginx locations."""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

from yelb_appserver import create_app
from yelb_appserver.config import SETTINGS, Config

ROOT = Path(__file__).resolve().parents[3]
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


UI_NGINX_TEMPLATE = ROOT / "yelb-ui" / "nginx" / "nginx.conf.template"


@functools.cache
def ui_probe_paths() -> frozenset[str]:
    """Exact-match locations of the UI front (`location = /healthz`)."""
    return frozenset(re.findall(r"^\s*location\s*=\s*(/\S*)\s*\{", UI_NGINX_TEMPLATE.read_text(), re.MULTILINE))


@functools.cache
def image_env(tier: str) -> dict[str, str]:
    """ENV KEY=value of a tier image's final stage (yelb-ui, yelb-appserver):
    a deployment may rely on these instead of repeating them."""
    text = re.sub(r"\\\n", " ", (ROOT / tier / "Dockerfile").read_text())
    final_stage = re.split(r"^FROM\s", text, flags=re.MULTILINE)[-1]
    env = {}
    for line in re.findall(r"^ENV\s+(.*)$", final_stage, re.MULTILINE):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            if "$" not in value:  # build arguments are not known here
                env[key] = value
    return env
