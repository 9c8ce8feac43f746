"""Demo 6, fault injection: make one replica slow, then take it out of rotation, and watch.

Faults are set with PUT /api/faults on one replica directly, never through the
public front (which refuses it), with the appservers' YELB_FAULT_TOKEN: this demo
sets YELB_FAULT_INJECTION=true and a token of its own for the run. Natively it
calls the replica's address; on compose and Kubernetes it runs the request inside
a replica's container, which has the token in its environment. The room watches
the effect through the front, as before.
"""

import json
import re
import secrets

from demos import watch
from demos.runbook import run

REPLICAS = 3
# Run inside an appserver container: one /api/faults request to itself, with its own token.
IN_CONTAINER_CALL = (
    "import os, sys, urllib.request as u; "
    "r = u.Request('http://127.0.0.1:%s/api/faults' % os.environ.get('YELB_APPSERVER_PORT', '4567'), "
    "method=sys.argv[1], data=sys.argv[2].encode() or None, headers={'Content-Type': 'application/json', "
    "'Authorization': 'Bearer ' + os.environ['YELB_FAULT_TOKEN']}); "
    "print(u.urlopen(r, timeout=10).read().decode())"
)


def fault_request(target, replica: int, method: str, fault: dict | None = None) -> str | None:
    """Send one /api/faults request to replica `replica` (0-based); returns its host name."""
    body = json.dumps(fault) if fault else ""
    if target.name == "native":
        url, token = target.stack.replica_urls[replica], target.stack.fault_token
        return (watch.inject_fault(url, fault, token) if method == "PUT"
                else next(iter(watch.clear_faults([url], token)), None))
    if target.name == "compose":
        output = target.sh([*target.compose, "exec", "-T", f"--index={replica + 1}", "yelb-appserver",
                            "python", "-c", IN_CONTAINER_CALL, method, body])
    else:  # kubernetes: one pod of the Deployment
        output = target.kubectl("exec", "deployment/yelb-appserver", "--", "python", "-c", IN_CONTAINER_CALL,
                                method, body)
    return json.loads(output)["hostname"] if output else None


def fault_gauge(metrics: str, fault: str) -> float | None:
    match = re.search(rf'^yelb_fault_injection_active{{fault="{fault}"}} (\S+)$', metrics, re.MULTILINE)
    return float(match.group(1)) if match else None


def slowest(times: dict[str, int]) -> str:
    return max(times, key=times.get)


def clear(book, target, replicas: int) -> None:
    if target.readiness_takes_out_of_rotation:
        # A Service picks the pod an exec reaches; replacing them all clears every one.
        target.reset_appservers()
        return
    cleared = {fault_request(target, replica, "DELETE") for replica in range(replicas)}
    if not target.dry_run:
        book.check(len(cleared) == replicas, f"faults cleared on {', '.join(sorted(cleared))}")


def demo(book, target, args):
    url = target.url
    book.step(f"Run {REPLICAS} appservers with fault injection enabled",
              f"the host strip shows {REPLICAS} names")
    if target.name != "native":  # the native stack starts with it enabled, and a token of its own
        target.scale_appservers(REPLICAS)
        target.configure_appservers({"YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": secrets.token_hex(16)},
                                    rolling=False)
    book.expect(target, f"{REPLICAS} appservers answer", lambda: watch.hostnames(url, 10 * REPLICAS),
                lambda seen: len(seen) == REPLICAS, timeout=60)
    book.pause()

    book.step(f"Make one replica slow: PUT /api/faults {{\"latency_ms\": {args.latency_ms}}} on one replica, "
              "with the fault token",
              "that replica's chips arrive late in the strip; its latency climbs on the Grafana dashboard")
    slow = fault_request(target, REPLICAS - 1, "PUT", {"latency_ms": args.latency_ms})
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
    failing = fault_request(target, REPLICAS - 1, "PUT", {"readiness_fail": True})
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
