"""Runs every Kubernetes render in the one-node stand-in and votes through it.

    python -m tests.cluster --image yelb-ui=IMAGE ... --pause-image IMAGE [--only helm/]

Prints one line per check and `e2e-cluster: N passed, M failed`; exits 1 on any failure."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from tests.deployments.renders import pod_specs

from .cluster import Cluster, Deployment
from .images import preloaded, pull_policy
from .renders import all_renders
from .pods import NODE_NAME
from .votes import vote_checks, whereami_checks


class Report:
    def __init__(self):
        self.passed = self.failed = 0
        self.started = time.monotonic()

    def check(self, description: str, error: str | None = None, detail: str = "") -> bool:
        if error is None:
            self.passed += 1
            print(f"ok   - {description}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - {description}: {error}", flush=True)
            if detail:
                print(detail, flush=True)
        return error is None

    def step(self, text: str) -> None:
        print(f"--- [{time.monotonic() - self.started:.0f}s] {text}", flush=True)


def containers_of(docs: list[dict]):
    for doc, spec in pod_specs(docs):
        for container in spec["containers"]:
            yield doc, container


def run_render(cluster: Cluster, render, report: Report, built: dict[str, str], ready_timeout: float) -> None:
    name = render.name
    references = {container["image"] for _, container in containers_of(render.docs)}
    try:
        cluster.images.update({ref: preloaded(ref, built) for ref in references})
    except ValueError as error:
        report.check(f"{name}: every image is one of the preloaded images", str(error))
        return
    pulling = sorted({f"{doc['metadata']['name']}/{c['name']} ({c['image']})"
                      for doc, c in containers_of(render.docs) if pull_policy(c) == "Always"})
    report.check(f"{name}: images run from the node's store (pull policy IfNotPresent, like after kind load)",
                 f"imagePullPolicy Always would pull, and fail without a registry: {', '.join(pulling)}"
                 if pulling else None)
    deployment = Deployment(cluster, render, PREFIX)
    try:
        if deployment.not_modeled:
            print(f"     {name}: not modeled here: {', '.join(deployment.not_modeled)}")
        errors = deployment.up()
        report.check(f"{name}: every pod is created ({len(deployment.pods)} pods)",
                     "; ".join(errors) if errors else None)
        not_ready = deployment.wait_ready(ready_timeout)
        detail = "\n".join(deployment.kubelet.logs(pod) for pod in deployment.pods if pod.name in not_ready)
        report.check(f"{name}: every pod becomes Ready through its probes",
                     "; ".join(f"{pod}: {why}" for pod, why in not_ready.items()) or None, detail)
        base = deployment.service_url("yelb-ui")
        if not report.check(f"{name}: a yelb-ui Service with a cluster IP", None if base else "none found"):
            return
        print(f"     {name}: yelb-ui Service at {base}")
        for description, error in vote_checks(base):
            ui_logs = "\n".join(deployment.kubelet.logs(pod, 5) for pod in deployment.pods
                                if pod.labels.get("app.kubernetes.io/name") == "yelb-ui")
            report.check(f"{name}: {description}", error,
                         f"{ui_logs}\n    [cluster DNS, last queries]\n{cluster.dns.recent_queries()}" if error else "")
        appservers = [pod for pod in deployment.pods if pod.labels.get("app.kubernetes.io/name") == "yelb-appserver"]
        for description, error in whereami_checks(base, {pod.name for pod in appservers},
                                                  appservers[0].namespace, NODE_NAME):
            report.check(f"{name}: {description}", error)
        for doc in deployment.hook_docs:
            code, logs = deployment.run_test_hook(doc, timeout=90)
            report.check(f"{name}: helm test pod {doc['metadata']['name']} exits 0",
                         None if code == 0 else f"exit code {code}", logs)
    finally:
        deployment.down()


PREFIX = "yelb-cluster"  # of every container and volume the run creates


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--image", action="append", default=[], metavar="NAME=IMAGE", required=True,
                        help="preloaded local image for a repository named NAME (yelb-ui, yelb-appserver, yelb-db, redis)")
    parser.add_argument("--pause-image", required=True, help="image with `sleep` for the pod sandboxes")
    parser.add_argument("--only", default="", help="run only renders whose name contains this text")
    parser.add_argument("--ready-timeout", type=float, default=150, help="seconds for every pod to become Ready")
    options = parser.parse_args()
    built = {}
    for item in options.image:
        name, separator, image = item.partition("=")
        if not separator or not image:
            parser.error(f"--image must be NAME=IMAGE, got {item!r}")
        built[name] = image

    # A TERM from run.sh's cleanup still runs the finally blocks below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = Report()
    renders = [render for render in all_renders() if options.only in render.name]
    if not renders:
        parser.error(f"--only {options.only!r} matches no render")
    cluster = Cluster({}, options.pause_image)
    try:
        for render in renders:
            report.step(render.name)
            try:
                run_render(cluster, render, report, built, options.ready_timeout)
            except Exception as error:  # one broken render must not hide the others' results
                report.check(f"{render.name}: the stand-in runs it", f"{type(error).__name__}: {error}")
    finally:
        cluster.close()
    report.step("done")
    print(f"e2e-cluster: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
