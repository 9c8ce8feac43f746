"""Demo 6, fault injection: make one replica slow, then take it out of rotation, and watch.

Faults are set with PUT /api/faults through the UI front, so each lands on
whichever replica nginx picks; the answer names it. The appservers need
YELB_FAULT_INJECTION=true (this demo sets it).
"""

import re

from demos import watch
from demos.runbook import run

REPLICAS = 3


def fault_gauge(metrics: str, fault: str) -> float | None:
    match = re.search(rf'^yelb_fault_injection_active{{fault="{fault}"}} (\S+)$', metrics, re.MULTILINE)
    return float(match.group(1)) if match else None


def slowest(times: dict[str, int]) -> str:
    return max(times, key=times.get)


def clear(book, target, replicas: int) -> None:
    if target.readiness_takes_out_of_rotation:
        # A replica out of rotation cannot be reached through the front: replace them all.
        target.reset_appservers()
    elif not target.dry_run:
        cleared = watch.clear_faults(target.url, replicas)
        book.check(len(cleared) == replicas, f"faults cleared on {', '.join(sorted(cleared))}")


def demo(book, target, args):
    url = target.url
    book.step(f"Run {REPLICAS} appservers with fault injection enabled",
              f"the host strip shows {REPLICAS} names")
    if target.name != "native":  # the native stack starts with it enabled
        target.scale_appservers(REPLICAS)
        target.configure_appservers({"YELB_FAULT_INJECTION": "true"}, rolling=False)
    book.expect(target, f"{REPLICAS} appservers answer", lambda: watch.hostnames(url, 10 * REPLICAS),
                lambda seen: len(seen) == REPLICAS, timeout=60)
    book.pause()

    book.step(f"Make one replica slow: PUT /api/faults {{\"latency_ms\": {args.latency_ms}}}",
              "that replica's chips arrive late in the strip; its latency climbs on the Grafana dashboard")
    slow = None if target.dry_run else watch.inject_fault(url, {"latency_ms": args.latency_ms})
    book.say(f"    the fault landed on {slow}")
    book.expect(target, f"{slow} is the slowest replica, by about {args.latency_ms} ms",
                lambda: watch.median_response_ms(url, 10 * REPLICAS),
                lambda times: len(times) == REPLICAS and slowest(times) == slow
                and times[slow] >= args.latency_ms)
    metrics = None if target.dry_run else target.replica_metrics(slow)
    if metrics is not None:
        book.check(fault_gauge(metrics, "latency_ms") == 1,
                   f'{slow}/metrics: yelb_fault_injection_active{{fault="latency_ms"}} 1')
    else:
        book.say("    metrics: open Grafana's Yelb dashboard (compose profile 'monitoring', "
                 "or monitoring/grafana/dashboards/yelb.json) and watch request duration by instance")
    book.pause(2)
    clear(book, target, REPLICAS)

    book.step("Fail one replica's readiness: PUT /api/faults {\"readiness_fail\": true}",
              "Kubernetes takes that pod out of the Service and its name leaves the strip; behind nginx "
              "(native, compose) it keeps serving, and the status line turns red whenever it answers")
    failing = None if target.dry_run else watch.inject_fault(url, {"readiness_fail": True})
    book.say(f"    the fault landed on {failing}")
    if target.readiness_takes_out_of_rotation:
        book.expect(target, f"{failing} gets no more requests", lambda: watch.hostnames(url, 10 * REPLICAS),
                    lambda seen: failing not in seen and len(seen) == REPLICAS - 1, timeout=60)
    else:
        book.expect(target, f"{failing} reports unavailable, the others ready",
                    lambda: watch.readiness_by_host(url, 10 * REPLICAS),
                    lambda states: len(states) == REPLICAS and states[failing] == {"unavailable"}
                    and all(state == {"ready"} for host, state in states.items() if host != failing))
    book.pause(2)

    book.step("Clear every fault", "all names back in the strip, the status line green")
    clear(book, target, REPLICAS)
    book.expect(target, "every replica is ready", lambda: watch.readiness_by_host(url, 10 * REPLICAS),
                lambda states: len(states) == REPLICAS and all(state == {"ready"} for state in states.values()),
                timeout=60)
    book.done("done by the last step; faults also vanish when a replica restarts")


def options(arguments):
    arguments.add_argument("--latency-ms", type=int, default=300, help="latency to inject (default 300)")


if __name__ == "__main__":
    raise SystemExit(run("Fault injection: a slow replica, a replica out of rotation", demo,
                         configure=options, native_env={"YELB_FAULT_INJECTION": "true"}))
