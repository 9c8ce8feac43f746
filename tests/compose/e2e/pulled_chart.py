"""The Helm chart pulled back from the registry is the one push-chart.sh pushed,
and installs from there: run by run.sh with helm-python-sdk (Helm's Go SDK).

    pulled_chart.py oci://<registry>/charts/yelb:<version> <pushed digest> <chart dir> <registry> <tag> <scratch>

Pulls the chart as `helm pull` / `helm install oci://...` would, checks the
archive's digest against the pushed one and its contents against the chart in
the clone, then renders it with image.registry/image.tag set, as `helm install
--set` would (and a password, as offline renders need), and checks that every container image comes from the registry."""

from __future__ import annotations

import sys
from pathlib import Path

import helm_python as helm
import yaml


def main(reference: str, pushed_digest: str, chart_dir: str, registry: str, tag: str, scratch: str) -> list[str]:
    repository, version = reference.rsplit(":", 1)
    host = repository.removeprefix("oci://").split("/", 1)[0]
    plain_http = host.startswith(("127.", "localhost"))
    Path(scratch).mkdir(parents=True, exist_ok=True)
    helm.pull(repository, version=version, destination=scratch, plain_http=plain_http)
    (archive,) = Path(scratch).glob("*.tgz")
    problems = []
    if helm.digest(archive) != pushed_digest:
        problems.append(f"pulled {helm.digest(archive)}, pushed {pushed_digest}")
    with helm.Chart.load(archive) as pulled, helm.Chart.load(chart_dir) as local:
        for part in ("metadata", "values", "templates"):
            if getattr(pulled, part) != getattr(local, part):
                problems.append(f"the pulled chart's {part} differ from {chart_dir}")
        # Rendered offline, so the chart needs the password it would generate on a cluster.
        values = {"image": {"registry": registry, "tag": tag}, "db": {"auth": {"password": "pulled-chart-check"}}}
        rendered = pulled.render(values, name="yelb", namespace="yelb", is_install=True)
    images = {container["image"] for path, text in rendered.items() if path.endswith(".yaml")
              for doc in yaml.safe_load_all(text) if doc and doc.get("kind") in ("Deployment", "StatefulSet")
              for container in doc["spec"]["template"]["spec"]["containers"]
              + doc["spec"]["template"]["spec"].get("initContainers", [])}
    expected = {f"{registry}/{name}:{tag}" for name in ("yelb-ui", "yelb-appserver", "yelb-db")}
    expected.add(f"{registry}/redis:7-alpine")
    if images != expected:
        problems.append(f"rendered images {sorted(images)}, expected {sorted(expected)}")
    print(f"pulled {archive.name} ({helm.digest(archive)}); rendered images: {', '.join(sorted(images))}")
    return problems


if __name__ == "__main__":
    found = main(*sys.argv[1:])
    for problem in found:
        print(f"pulled_chart: {problem}", file=sys.stderr)
    sys.exit(1 if found else 0)
