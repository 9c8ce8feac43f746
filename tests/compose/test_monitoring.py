"""The monitoring profile's files: Prometheus' configuration is valid for
promtool and scrapes the appserver service the way the alert rules expect;
Grafana's provisioning points at that Prometheus and at the dashboards folder
docker-compose.yml mounts. (The Prometheus container itself scrapes three
replicas in e2e/run.sh; Grafana has no Debian package, so this is its check.)"""

from __future__ import annotations

import json
import subprocess
from urllib.parse import urlsplit

import yaml

from .files import REPO, ROOT_COMPOSE, compose_config, tool

MONITORING = REPO / "monitoring"
PROMETHEUS_YML = MONITORING / "prometheus" / "prometheus.yml"
PROVISIONING = MONITORING / "grafana" / "provisioning"


def mounts(service: dict) -> dict[str, str]:
    """container path -> host path, for bind mounts of a resolved service."""
    found = {}
    for volume in service["volumes"]:
        host, container = volume.split(":")[:2]
        found[container] = host
    return found


def test_promtool_accepts_the_configuration_and_its_rules():
    result = subprocess.run([tool("promtool", "prometheus (Debian)"), "check", "config", str(PROMETHEUS_YML)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_scrapes_every_appserver_replica_under_the_job_the_alerts_use():
    config = yaml.safe_load(PROMETHEUS_YML.read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "yelb-appserver"]
    (discovery,) = job["dns_sd_configs"]
    assert discovery == {"names": ["yelb-appserver"], "type": "A", "port": 4567, "refresh_interval": "5s"}
    assert job["metrics_path"] == "/metrics"
    alerts = (MONITORING / "prometheus" / "alerts.yml").read_text()
    assert 'job="yelb-appserver"' in alerts


def test_compose_mounts_the_configuration_beside_its_rules():
    services = compose_config(ROOT_COMPOSE)["services"]
    prometheus = mounts(services["prometheus"])
    assert prometheus["/etc/prometheus/prometheus.yml"] == str(PROMETHEUS_YML)
    # rule_files are relative to the configuration file, in the repo and in the container.
    assert yaml.safe_load(PROMETHEUS_YML.read_text())["rule_files"] == ["alerts.yml"]
    assert prometheus["/etc/prometheus/alerts.yml"] == str(MONITORING / "prometheus" / "alerts.yml")
    assert set(services["prometheus"]["networks"]) & set(services["yelb-appserver"]["networks"])


def test_grafana_datasource_is_the_compose_prometheus():
    (source,) = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] is True
    url = urlsplit(source["url"])
    services = compose_config(ROOT_COMPOSE)["services"]
    assert url.hostname == "prometheus" and url.hostname in services
    assert url.port == 9090
    assert set(services["grafana"]["networks"]) & set(services["prometheus"]["networks"])


def test_grafana_loads_the_shipped_dashboards():
    (provider,) = yaml.safe_load((PROVISIONING / "dashboards" / "yelb.yml").read_text())["providers"]
    grafana = compose_config(ROOT_COMPOSE)["services"]["grafana"]
    grafana_mounts = mounts(grafana)
    assert grafana_mounts["/etc/grafana/provisioning"] == str(PROVISIONING)
    dashboards = grafana_mounts[provider["options"]["path"]]
    assert dashboards == str(MONITORING / "grafana" / "dashboards")
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(provider["options"]["path"] + "/")
    dashboard = json.loads((MONITORING / "grafana" / "dashboards" / home.rsplit("/", 1)[1]).read_text())
    assert dashboard["uid"]
