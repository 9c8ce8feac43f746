"""The UI follows a changed appserver list without a restart, on real nginx.

The job's UI template (change_mode "script") has Nomad rewrite
local/appservers.env and run the image's reload.sh when the catalogue changes.
Here the template is rendered by tests/nomad/standin for a catalogue of 1, then
3, then 2 appservers (small HTTP servers that answer with their name), the
file is rewritten and reload.sh run as Nomad would, while a client keeps
asking the front: every request must be answered, by the listed replicas, and
the nginx master is never restarted.
"""

import http.server
import os
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.nomad.nomad_job import REPO_ROOT, load_job
from tests.nomad.standin import render_template
from stack.nginx import NginxFront
from stack.services import free_port, wait_until

RELOAD_SCRIPT = REPO_ROOT / "yelb-ui" / "nginx" / "reload.sh"
# The UI image copies yelb-ui/nginx/ to /opt/yelb-ui/ (yelb-ui/Dockerfile).
IMAGE_NGINX_DIR = "/opt/yelb-ui"
# Nomad mounts the task's local/ directory at /local in a Docker task.
TASK_LOCAL_DIR = "/local"


class NamedReplica(http.server.ThreadingHTTPServer):
    """Answers every GET with its name, like /api/hostname does."""

    def __init__(self, name):
        self.replica_name = name

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):
                body = name.encode()
                handler.send_response(200)
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def registration(self):
        return {"Address": "127.0.0.1", "Port": self.server_address[1]}


class SteadyClient(threading.Thread):
    """Asks the front for /api/hostname without pause; keeps every answer and failure."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.answers, self.failures = url, [], []
        self.running = True

    def run(self):
        while self.running:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    self.answers.append(response.read().decode())
            except Exception as error:  # noqa: BLE001 - every failure counts
                self.failures.append(repr(error))

    def answers_since(self, start):
        return self.answers[start:]

    def stop(self):
        self.running = False
        self.join(10)


@pytest.fixture(scope="module")
def ui_template():
    (template,) = load_job().groups["ui"].tasks["yelb-ui"].templates
    return template


def test_the_ui_template_reloads_nginx_instead_of_restarting_the_task(ui_template):
    assert ui_template.env and ui_template.change_mode == "script"
    script = ui_template.change_script
    assert script["command"] == f"{IMAGE_NGINX_DIR}/{RELOAD_SCRIPT.name}"
    assert script["args"] == [f"{TASK_LOCAL_DIR}/{ui_template.destination.removeprefix('local/')}"]
    assert os.access(RELOAD_SCRIPT, os.X_OK)


def test_scaling_the_appservers_reaches_the_page_without_a_failed_request(ui_template, tmp_path):
    replicas = [NamedReplica(f"replica-{n}") for n in range(3)]
    env_file = tmp_path / "appservers.env"

    def publish(members):
        """What Nomad does on a catalogue change: re-render, then run the change script."""
        catalogue = {"yelb-appserver": [replica.registration for replica in members]}
        env_file.write_text(render_template(ui_template.data, catalogue))
        result = subprocess.run([str(RELOAD_SCRIPT), str(env_file)], env=reload_env,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr

    start_env = render_template(ui_template.data, {"yelb-appserver": [replicas[0].registration]},
                                dotenv=True)
    front = NginxFront(start_env["YELB_APPSERVER_ENDPOINT"], base_dir=tmp_path / "ui").start()
    # reload.sh runs with the container's environment, which holds the start-time list.
    reload_env = {"PATH": os.environ["PATH"], **front.settings}
    client = SteadyClient(f"http://127.0.0.1:{front.port}/api/hostname")
    client.start()
    try:
        wait_until(lambda: len(client.answers) > 5, 10, "answers from one replica")

        scaled_out = len(client.answers)
        publish(replicas)
        wait_until(lambda: set(client.answers_since(scaled_out)) == {r.replica_name for r in replicas},
                   20, "answers from all three replicas")

        publish(replicas[:2])
        time.sleep(1)  # old workers finish, new ones take the shorter list
        scaled_in = len(client.answers)
        replicas[2].shutdown()
        wait_until(lambda: len(client.answers) > scaled_in + 20, 10, "answers after scaling in")
        assert set(client.answers_since(scaled_in)) == {"replica-0", "replica-1"}
        assert front.process.poll() is None, "nginx exited: the front was restarted, not reloaded"
    finally:
        client.stop()
        front.destroy()
        for replica in replicas:
            replica.shutdown()
    assert client.failures == []
