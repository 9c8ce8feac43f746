"""How `make bench` reads its tail target: at the most connections, on the appserver's endpoints."""

from bench.appserver_bench import worst_tail


def row(p50: float, p99: float) -> dict:
    return {"p50": p50, "p99": p99}


def test_the_tail_is_judged_per_connection_count_and_never_on_a_floor():
    rows = {("floor", 20): row(10, 90), ("hostname", 20): row(10, 30), ("vote POST", 20): row(20, 120),
            ("floor", 50): row(30, 300), ("hostname", 50): row(30, 60), ("vote POST", 50): row(40, 100)}
    assert worst_tail(rows, 50) == ("vote POST", 2.5)
    assert worst_tail(rows, 20) == ("vote POST", 6.0)
