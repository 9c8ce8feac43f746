"""The Yelb UI's own nginx front, run unprivileged for the tests.

NginxFront renders yelb-ui/nginx/nginx.conf.template with the same script the
container runs (render-config.sh), into a temporary prefix directory, and starts
Debian's nginx in the foreground on 127.0.0.1-reachable port. With several
upstream appserver URLs the configuration gets an upstream group with passive
health checks; with one, the name is resolved per request.

Upstream URLs should use IP addresses (http://127.0.0.1:PORT): nginx resolves a
single endpoint's name through DNS at request time, which never reads /etc/hosts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .services import HttpProcess, free_port

UI_DIR = Path(__file__).resolve().parents[1] / "yelb-ui"
PUBLIC_DIR = UI_DIR / "public"
RENDER_SCRIPT = UI_DIR / "nginx" / "render-config.sh"
NGINX = os.environ.get("YELB_TEST_NGINX", "nginx")


class NginxFront(HttpProcess):
    """nginx serving yelb-ui/public and proxying /api to one or more appservers."""

    name = "nginx"

    def __init__(self, upstreams: list[str] | str, base_dir: Path | None = None,
                 port: int | None = None, static_dir: Path = PUBLIC_DIR,
                 refresh_seconds: int | None = None, resolver: str | None = None,
                 wrapper: list[str] = ()):
        # A command both the rendering and nginx run under, e.g. one that gives them a
        # pod's /etc/resolv.conf (the cluster DNS tests give it one).
        self.wrapper = list(wrapper)
        self.upstreams = [upstreams] if isinstance(upstreams, str) else list(upstreams)
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-nginx-"))
        self.port = port or free_port()
        self.log_file = self.base_dir / "nginx.log"
        self.settings = {
            "YELB_APPSERVER_ENDPOINT": ",".join(self.upstreams),
            "YELB_UI_PORT": str(self.port),
            "YELB_UI_STATIC_DIR": str(static_dir),
            "YELB_UI_RUNTIME_DIR": str(self.base_dir),
        }
        if refresh_seconds is not None:
            self.settings["YELB_UI_REFRESH_SECONDS"] = str(refresh_seconds)
        if resolver is not None:
            self.settings["YELB_RESOLVER"] = resolver

    @property
    def config_file(self) -> Path:
        return self.base_dir / "nginx.conf"

    def render(self) -> subprocess.CompletedProcess:
        """Run render-config.sh; raises with its one-line message when a setting is bad."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **self.settings}
        return subprocess.run([*self.wrapper, str(RENDER_SCRIPT)], env=env, capture_output=True, text=True,
                              check=True, timeout=30)

    def start(self, wait: bool = True) -> "NginxFront":
        self.render()
        # Started as root, nginx would run its workers as `nobody`, who cannot read the
        # private temp folders; in the container master and workers share one user, as here.
        directives = "daemon off; user root;" if os.geteuid() == 0 else "daemon off;"
        self.spawn([*self.wrapper, NGINX, "-p", str(self.base_dir), "-c", str(self.config_file), "-e", "stderr",
                    "-g", directives])
        if wait:
            self.wait_healthy()
        return self

    def stop(self, timeout: float = 10) -> None:
        """SIGQUIT: nginx finishes the requests in flight, then exits."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)
