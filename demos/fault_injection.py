"""Demo 6, fault injection (06-fault-injection.md): one replica slow, then failing its readiness.

Faults are set with scripts/faults/yelb-faults, the same client anyone uses:
PUT /api/faults on one replica's own address (the public front refuses it) with
the stack's fault token; the script then watches through the front and prints
what each replica did.
"""

import re

import requests

from demos.common import REPLICAS, arguments, check, hostnames, main, pause, sh, step, wait_for

FAULTS_SCRIPT = "scripts/faults/yelb-faults"


def run(stack, args):
    sick = stack.hostname(REPLICAS - 1)
    # yelb-faults injects on the first --replica and clears on all of them.
    sick_first = [stack.replica_urls[-1], *stack.replica_urls[:-1]]
    replicas = [word for url in sick_first for word in ("--replica", url)]
    token = {"YELB_FAULT_TOKEN": stack.fault_token}

    step(1, f"{REPLICAS} appservers with fault injection enabled", f"the host strip shows {REPLICAS} names")
    wait_for(f"{REPLICAS} appservers answer", lambda: hostnames(stack.url, 10 * REPLICAS),
             lambda seen: len(seen) == REPLICAS)
    pause()

    step(2, f"Make {sick} slow: {{\"latency_ms\": {args.latency_ms}}}",
         "that replica's chips arrive late in the strip; its request duration climbs on the Grafana dashboard")
    sh([FAULTS_SCRIPT, stack.url, "slow-replica", "--ms", str(args.latency_ms), "--keep", *replicas], env=token)
    metrics = requests.get(f"{sick_first[0]}/metrics", timeout=5).text
    check(re.search(r'^yelb_fault_injection_active\{fault="latency_ms"\} 1', metrics, re.MULTILINE) is not None,
          f'{sick}/metrics: yelb_fault_injection_active{{fault="latency_ms"}} 1')
    pause(2)
    sh([FAULTS_SCRIPT, stack.url, "clear", *replicas], env=token)

    step(3, f"Fail {sick}'s readiness: {{\"readiness_fail\": true}}",
         "behind nginx it keeps serving (no active health checks), and the status line turns red whenever "
         "it answers; Kubernetes would take it out of the Service")
    sh([FAULTS_SCRIPT, stack.url, "unready-replica", "--keep", *replicas], env=token)
    check(requests.get(f"{sick_first[0]}/readyz", timeout=5).status_code == 503, f"{sick}/readyz answers 503")
    pause(2)

    step(4, "Clear every fault", "all names in the strip, the status line green")
    sh([FAULTS_SCRIPT, stack.url, "clear", *replicas], env=token)
    check(all(requests.get(f"{url}/readyz", timeout=5).ok for url in stack.replica_urls),
          "every replica is ready")
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=300, help="latency to inject (default 300)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args(), env={"YELB_FAULT_INJECTION": "true"}))
