"""Who answers from outside this machine: the front (phones in a room vote through it), never a
replica, which would hand /api/faults and the replicas' own endpoints to the network."""

import socket
import subprocess

import pytest
import requests

pytestmark = pytest.mark.stack


def network_address() -> str:
    """One of this machine's addresses other than loopback."""
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    addresses = [address for address in found if ":" not in address and not address.startswith("127.")]
    if not addresses:
        pytest.skip("this machine has no network address besides loopback")
    return addresses[0]


def test_only_the_front_answers_on_the_network_address(stack_factory):
    stack = stack_factory(replicas=2)
    address = network_address()
    assert requests.get(f"http://{address}:{stack.front_port}/api/getvotes", timeout=5).ok
    for port in stack.ports:
        with socket.socket() as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, port)) != 0, f"a replica answers on {address}:{port}"
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok
