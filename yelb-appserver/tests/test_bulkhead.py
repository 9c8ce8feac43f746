"""The Redis bulkhead on its own: bounded calls in flight, and a circuit that opens, probes and closes."""

from __future__ import annotations

import threading
import time

import pytest

from yelb_appserver.dependencies import Bulkhead, DependencyError

OPEN_SECONDS = 0.2


class Broken(Exception):
    pass


def fail(bulkhead: Bulkhead) -> None:
    with pytest.raises(Broken):
        with bulkhead.call():
            raise Broken


def refused(bulkhead: Bulkhead) -> str:
    with pytest.raises(DependencyError) as error:
        with bulkhead.call():
            pass
    return error.value.detail


def test_calls_beyond_the_slots_are_refused_while_the_others_hang():
    bulkhead = Bulkhead("redis", max_in_flight=2, open_seconds=OPEN_SECONDS)
    hanging, release = threading.Barrier(3), threading.Event()

    def hang():
        with bulkhead.call():
            hanging.wait()
            release.wait(5)

    threads = [threading.Thread(target=hang) for _ in range(2)]
    for thread in threads:
        thread.start()
    hanging.wait()
    assert "too many calls" in refused(bulkhead)
    release.set()
    for thread in threads:
        thread.join()
    with bulkhead.call():  # the slots are free again
        pass


def test_three_failures_open_the_circuit_then_one_probe_closes_it():
    bulkhead = Bulkhead("redis", max_in_flight=4, open_seconds=OPEN_SECONDS)
    for _ in range(Bulkhead.FAILURES_TO_OPEN):
        fail(bulkhead)
    assert "circuit is open" in refused(bulkhead)
    time.sleep(OPEN_SECONDS * 1.5)
    probing, release = threading.Event(), threading.Event()

    def probe():
        with bulkhead.call():
            probing.set()
            release.wait(5)

    prober = threading.Thread(target=probe)
    prober.start()
    probing.wait(5)
    assert "circuit is open" in refused(bulkhead)  # one probe at a time
    release.set()
    prober.join()
    with bulkhead.call():  # closed again
        pass
    fail(bulkhead)
    with bulkhead.call():  # one failure after closing does not open it
        pass


def test_a_failed_probe_opens_the_circuit_again():
    bulkhead = Bulkhead("redis", max_in_flight=4, open_seconds=OPEN_SECONDS)
    for _ in range(Bulkhead.FAILURES_TO_OPEN):
        fail(bulkhead)
    time.sleep(OPEN_SECONDS * 1.5)
    fail(bulkhead)
    assert "circuit is open" in refused(bulkhead)
