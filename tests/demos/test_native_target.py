"""The native target gives the front and every replica a port of its own, and
refuses a front port that another process holds.

A replica (or any other process) on the front's port would answer in the
front's place, and a demo would then wait for a rotation that never comes."""

import socket

import pytest

from demos.targets import NativeTarget, TargetError
from stack.services import free_port


@pytest.fixture
def unstarted():
    targets = []

    def make(port: int) -> NativeTarget:
        targets.append(NativeTarget(lambda _: None, port=port))
        return targets[-1]

    yield make
    for target in targets:
        target.stack.stop()  # removes the folders a Stack makes when it is created


@pytest.mark.parametrize("port", [0, 8080])
def test_the_front_and_every_replica_get_ports_of_their_own(unstarted, port):
    target = unstarted(port=port)
    ports = [*target.stack.ports, target.stack.front_port]
    assert len(set(ports)) == len(ports)
    if port:
        assert target.stack.front_port == port


def test_free_port_never_hands_out_a_port_twice():
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)


def test_a_front_port_in_use_stops_the_demo_before_anything_starts():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        target = NativeTarget(lambda _: None, port=busy.getsockname()[1])
        with pytest.raises(TargetError, match="is in use"):
            target.__enter__()
    assert not target.stack.base_dir.exists()
