"""The native target gives the front and every replica a port of its own, and
refuses a front port that another process holds.

The harness picks each port separately and can pick one twice; a replica (or
any other process) on the front's port answers in the front's place, and a demo
then waits for a rotation that never comes."""

import socket

import pytest

from demos.targets import NativeTarget, TargetError


@pytest.fixture
def unstarted():
    targets = []

    def make(port: int) -> NativeTarget:
        targets.append(NativeTarget(lambda _: None, port=port))
        return targets[-1]

    yield make
    for target in targets:
        target.stack.stop()  # removes the folders a Stack makes when it is created


def test_a_free_front_port_moves_away_from_the_replicas(unstarted):
    target = unstarted(port=0)
    target.stack.ports[:] = [5000, 5000, 6000]
    target.stack.front_port = 6000
    target._separate_ports(keep_front=False)
    assert len({*target.stack.ports, target.stack.front_port}) == 4
    assert target.stack.ports[0] == 5000 and target.stack.ports[2] == 6000


def test_a_chosen_front_port_stays_and_the_replicas_move(unstarted):
    target = unstarted(port=8080)
    target.stack.ports[:] = [8080, 5000, 5000]
    target._separate_ports(keep_front=True)
    assert target.stack.front_port == 8080
    assert len({*target.stack.ports, 8080}) == 4


def test_a_front_port_in_use_stops_the_demo_before_anything_starts():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        target = NativeTarget(lambda _: None, port=busy.getsockname()[1])
        with pytest.raises(TargetError, match="is in use"):
            target.__enter__()
    assert not target.stack.base_dir.exists()
