"""The front and every replica of a stack get ports of their own: a replica (or any other
process) on the front's port would answer in the front's place."""

import pytest

from stack import Stack, free_port


@pytest.mark.parametrize("front_port", [None, 8080])
def test_the_front_and_every_replica_get_ports_of_their_own(front_port):
    stack = Stack(3, front_port=front_port)
    try:
        ports = [*stack.ports, stack.front_port]
        assert len(set(ports)) == len(ports)
        assert front_port in (None, stack.front_port)
    finally:
        stack.stop()  # removes the folders a Stack makes when it is created


def test_free_port_never_hands_out_a_port_twice():
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)
