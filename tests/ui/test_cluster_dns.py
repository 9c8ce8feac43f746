"""The UI front under cluster DNS, as in a Kubernetes pod: the real render-config.sh
and nginx, a pod's resolv.conf (search list, ndots:5) and a real DNS server that
answers only fully qualified Service names, like CoreDNS.

nginx resolves the appserver's name itself, per request, and never applies the
search list; these tests hold the front to reaching `http://yelb-appserver:PORT`
all the same, as the Kubernetes manifests and the chart configure it.
"""

from __future__ import annotations

import pytest
import requests

from tests.support.dnsmasq import ClusterDns, can_serve_dns, with_resolv_conf
from stack.nginx import NginxFront
from stack.services import wait_until

pytestmark = pytest.mark.skipif(not can_serve_dns(), reason="needs root and Debian's dnsmasq (port 53)")

NAMESPACE = "yelb"


@pytest.fixture
def appserver(appserver_factory, tmp_path):
    return appserver_factory({"YELB_SQLITE_PATH": str(tmp_path / "votes.sqlite3")},
                             hostname="yelb-appserver-5d8c7")


@pytest.fixture
def cluster_dns(tmp_path):
    dns = ClusterDns({}, base_dir=tmp_path).start()
    yield dns
    dns.stop()


def front_in_pod(dns: ClusterDns, endpoint: str, base_dir, ndots: int = 5) -> NginxFront:
    return NginxFront(endpoint, base_dir=base_dir,
                      wrapper=with_resolv_conf(dns.pod_resolv_conf(NAMESPACE, ndots)))


def ihop_votes(front: NginxFront) -> int:
    answer = requests.get(f"{front.url}/api/getvotes", timeout=10)
    assert answer.status_code == 200, answer.text
    return {entry["name"]: entry["value"] for entry in answer.json()}["ihop"]


def test_votes_go_through_the_front_by_the_short_service_name(appserver, cluster_dns, tmp_path):
    cluster_dns.set_records({f"yelb-appserver.{NAMESPACE}.svc.cluster.local": "127.0.0.1"})
    front = front_in_pod(cluster_dns, f"http://yelb-appserver:{appserver.port}", tmp_path / "front").start()
    try:
        before = ihop_votes(front)
        vote = requests.post(f"{front.url}/api/votes/ihop", timeout=10)
        assert vote.status_code == 200, vote.text
        assert ihop_votes(front) == before + 1
        assert requests.get(f"{front.url}/api/hostname", timeout=10).text == "yelb-appserver-5d8c7"
        # nginx was handed the name the pod's resolver settles on.
        assert f"yelb-appserver.{NAMESPACE}.svc.cluster.local:{appserver.port}" in front.config_file.read_text()
    finally:
        front.destroy()


def test_a_service_of_another_namespace_resolves_through_the_next_search_domain(appserver, cluster_dns,
                                                                                 tmp_path):
    cluster_dns.set_records({"yelb-appserver.shared.svc.cluster.local": "127.0.0.1"})
    front = front_in_pod(cluster_dns, f"http://yelb-appserver.shared:{appserver.port}",
                         tmp_path / "front").start()
    try:
        assert requests.get(f"{front.url}/api/hostname", timeout=10).text == "yelb-appserver-5d8c7"
    finally:
        front.destroy()


def test_a_service_created_after_the_front_is_found_without_a_restart(appserver, cluster_dns, tmp_path):
    front = front_in_pod(cluster_dns, f"http://yelb-appserver:{appserver.port}", tmp_path / "front").start()
    try:
        # No Service yet: the page is up and the API says what is missing.
        assert requests.get(f"{front.url}/", timeout=5).status_code == 200
        assert requests.get(f"{front.url}/api/hostname", timeout=10).status_code == 502
        # It is created: nginx follows the name the pod's resolver would try first.
        cluster_dns.set_records({f"yelb-appserver.{NAMESPACE}.svc.cluster.local": "127.0.0.1"})
        wait_until(lambda: requests.get(f"{front.url}/api/hostname", timeout=5).status_code == 200,
                   15, "the front to find the new Service")
    finally:
        front.destroy()


def test_without_a_search_list_in_play_the_name_is_kept_as_given(cluster_dns, tmp_path):
    """Docker's resolv.conf says ndots:0, and its DNS answers short names itself."""
    front = front_in_pod(cluster_dns, "http://yelb-appserver:4567", tmp_path / "front", ndots=0)
    front.render()
    assert "http://yelb-appserver:4567;" in front.config_file.read_text()
