"""render-config.sh: the nginx front's configuration from the environment, rendered into
a temporary folder and read back; `nginx -t` checks it where nginx is installed.

Needs only a POSIX shell, sed and awk: no root, no running nginx.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UI_DIR = Path(__file__).resolve().parents[1]
RENDER_SCRIPT = UI_DIR / "nginx" / "render-config.sh"
PUBLIC_DIR = UI_DIR / "public"
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def render(runtime_dir: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "YELB_UI_STATIC_DIR": str(PUBLIC_DIR),
           "YELB_UI_RUNTIME_DIR": str(runtime_dir), "YELB_RESOLVER": "192.0.2.53", **settings}
    return subprocess.run([str(RENDER_SCRIPT)], env=env, capture_output=True, text=True, timeout=20)


def rendered(runtime_dir: Path, **settings: str) -> str:
    result = render(runtime_dir, **settings)
    assert result.returncode == 0, result.stderr
    config = (runtime_dir / "nginx.conf").read_text()
    assert not re.search(r"@[A-Z_]+@", config), "a placeholder was left unfilled"
    return config


def directives(config: str, name: str) -> list[str]:
    """The arguments of every `name ...;` directive, comments left out."""
    statements = (statement.split(None, 1) for line in config.splitlines()
                  for statement in re.split(r"[;{}]", line.split("#", 1)[0]))
    return [words[1].strip() for words in statements if len(words) == 2 and words[0] == name]


@pytest.mark.parametrize(("variable", "value"), [
    ("YELB_APPSERVER_ENDPOINT", "yelb-appserver:4567"),
    ("YELB_APPSERVER_ENDPOINT", "https://yelb-appserver:4567"),
    ("YELB_APPSERVER_ENDPOINT", "http://yelb-appserver:70000"),
    ("YELB_APPSERVER_ENDPOINT", "http://a:1,,http://b:2"),
    ("YELB_UI_PORT", "80a"),
    ("YELB_UI_LEGACY_PORT", "eighty"),
    ("YELB_UI_REFRESH_SECONDS", "0"),
    ("YELB_UI_STATIC_DIR", "/nonexistent"),
    ("YELB_UI_RUNTIME_DIR", "relative/dir"),
    ("YELB_UI_VOTE_RATE", "0"),
    ("YELB_UI_VOTE_RATE", "30r/s"),
    ("YELB_UI_VOTE_BURST", "-1"),
    ("YELB_UI_CONNECTIONS_PER_CLIENT", "many"),
    ("YELB_UI_TRUSTED_PROXIES", "10.0.0.0/8,ingress.local"),
])
def test_bad_setting_stops_rendering_with_one_line_naming_it(tmp_path, variable, value):
    result = render(tmp_path / "run", **{variable: value})
    assert result.returncode == 64
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"yelb-ui: {variable} ")
    assert not (tmp_path / "run" / "nginx.conf").exists()


def test_one_appserver_is_resolved_per_request(tmp_path):
    run = tmp_path / "run"
    config = rendered(run, YELB_APPSERVER_ENDPOINT="http://127.0.0.1:4567", YELB_UI_PORT="8181",
                      YELB_UI_REFRESH_SECONDS="7")
    assert "$yelb_appserver http://127.0.0.1:4567" in directives(config, "set")
    assert set(directives(config, "proxy_pass")) == {"$yelb_appserver"}
    assert (run / "upstream.conf").read_text() == ""
    assert directives(config, "listen") == ["8181"]
    assert f"root {PUBLIC_DIR};" in config and f"pid {run}/nginx.pid;" in config
    assert directives(config, "resolver") == ["192.0.2.53 valid=10s"]
    assert json.loads((run / "public" / "config.json").read_text()) == {"refreshSeconds": 7}
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert (run / folder).is_dir()


def test_several_appservers_make_an_upstream_group(tmp_path):
    run = tmp_path / "run"
    config = rendered(run, YELB_APPSERVER_ENDPOINT="http://127.0.0.1:4567, http://[::1]:4568,http://10.0.0.9")
    assert "$yelb_appserver http://yelb_appservers" in directives(config, "set")
    upstream = (run / "upstream.conf").read_text()
    assert directives(upstream, "server") == [
        "127.0.0.1:4567 max_fails=1 fail_timeout=2s", "[::1]:4568 max_fails=1 fail_timeout=2s",
        "10.0.0.9:80 max_fails=1 fail_timeout=2s"]


def test_vote_limits_and_trusted_proxies_are_filled_in(tmp_path):
    config = rendered(tmp_path / "run", YELB_APPSERVER_ENDPOINT="http://127.0.0.1:4567",
                      YELB_UI_VOTE_RATE="12", YELB_UI_VOTE_BURST="0", YELB_UI_CONNECTIONS_PER_CLIENT="9",
                      YELB_UI_TRUSTED_PROXIES="10.0.0.0/8, fd00::/64")
    assert "rate=12r/s;" in config and directives(config, "limit_req") == ["zone=yelb_votes burst=0 nodelay"]
    assert directives(config, "limit_conn") == ["yelb_clients 9"]
    assert directives(config, "set_real_ip_from") == ["10.0.0.0/8", "fd00::/64"]
    assert directives(config, "real_ip_header") == ["X-Forwarded-For"]
    without = rendered(tmp_path / "other", YELB_APPSERVER_ENDPOINT="http://127.0.0.1:4567")
    assert directives(without, "set_real_ip_from") == [] and directives(without, "real_ip_header") == []


def test_ipv6_resolvers_get_brackets(tmp_path):
    config = rendered(tmp_path / "run", YELB_APPSERVER_ENDPOINT="http://yelb-appserver.example:4567",
                      YELB_RESOLVER="10.0.0.2 fd00::53")
    assert directives(config, "resolver") == ["10.0.0.2 [fd00::53] valid=10s"]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
@pytest.mark.parametrize("endpoints", ["http://127.0.0.1:4567", "http://127.0.0.1:4567,http://127.0.0.1:4568"])
def test_nginx_accepts_the_rendered_configuration(tmp_path, endpoints):
    run = tmp_path / "run"
    rendered(run, YELB_APPSERVER_ENDPOINT=endpoints, YELB_UI_TRUSTED_PROXIES="10.0.0.0/8")
    result = subprocess.run([NGINX, "-t", "-p", str(run), "-c", str(run / "nginx.conf"), "-e", "stderr"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
