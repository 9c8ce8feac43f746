#!/usr/bin/env bash
# `make test`: the whole suite as two pytest processes side by side.
#
# Most of a serial run waits (for servers to start, for outages and rolls to play out,
# for pip in the learning path): one process kept 2 cores about a quarter busy. So the
# checks that need no browser and no whole stack run in a process of their own, next
# to the browser, learning-path and whole-stack tests. They share nothing but the
# machine: each process starts its own PostgreSQL and Redis, and the first takes its
# ports from YELB_TEST_PORTS, a range below the kernel's ephemeral ports, where the
# second's free_port() (and every client socket) never looks.
# The latency-minded scenarios (tests/demos, tests/stack) come last in the second
# process, when the first is done.
#
# Arguments go to both processes (e.g. --durations=20, -x). Given a test path, one
# pytest runs just that, as `.venv/bin/pytest ARGS` would.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
pytest=${PYTEST:-.venv/bin/pytest}

for arg in "$@"; do
	if [ -e "${arg%%::*}" ]; then exec "$pytest" "$@"; fi
done

checks=(tests/appserver tests/ci tests/compose tests/deployments tests/nomad tests/observability
	yelb-appserver/tests yelb-ui/tests)
scenarios=(tests/docs tests/ui tests/cluster tests/demos tests/stack)
# Tests in neither list run with the scenarios, first: none is left out.
for place in tests/*/ tests/test_*.py; do
	place=${place%/}
	if [[ " ${checks[*]} ${scenarios[*]} " != *" $place "* ]] && compgen -G "$place" >/dev/null &&
		{ [ -f "$place" ] || compgen -G "$place/test_*.py" >/dev/null; }; then
		scenarios=("$place" "${scenarios[@]}")
	fi
done

log=$(mktemp /tmp/yelb-tests-checks.XXXXXX)
trap 'rm -f "$log"' EXIT
YELB_TEST_PORTS=24000-25999 "$pytest" "${checks[@]}" "$@" >"$log" 2>&1 &
checks_pid=$!
"$pytest" "${scenarios[@]}" "$@"
scenarios_status=$?
wait "$checks_pid"
checks_status=$?
echo "=== ${checks[*]} (run side by side with the above)"
cat "$log"
# 5: pytest found no test to run (-k or -m left none in one share), which is fine for one of the two.
if [ "$scenarios_status" -eq 5 ] && [ "$checks_status" -eq 5 ]; then exit 5; fi
[ "$scenarios_status" -eq 0 ] || [ "$scenarios_status" -eq 5 ] || exit "$scenarios_status"
[ "$checks_status" -eq 0 ] || [ "$checks_status" -eq 5 ] || exit "$checks_status"
