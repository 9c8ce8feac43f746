#!/usr/bin/env bash
# The Nomad job with the real images in Docker (`make e2e-nomad`): starts a
# Docker engine when none answers (tests/compose/e2e/dockerd.sh), builds the
# images from this checkout offline (tests/compose/e2e/build-images.sh), then
# runs the stand-in Nomad client, tests/nomad/e2e.py. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${YELB_E2E_CACHE:-$HOME/.cache/yelb-e2e}
export YELB_E2E_CACHE=$cache
python=${PYTHON:-$root/.venv/bin/python}
# shellcheck source=tests/compose/e2e/dockerd.sh
. "$root/tests/compose/e2e/dockerd.sh"

log=$(mktemp /tmp/yelb-nomad-images.XXXXXX)
trap 'yelb_dockerd_stop; rm -f "$log"' EXIT

yelb_dockerd_start "$cache/docker"
echo "--- images from this checkout (build-images.sh)"
"$root/tests/compose/e2e/build-images.sh" yelb-appserver yelb-ui yelb-db >"$log" 2>&1 || {
	cat "$log"
	exit 1
}
cd "$root"
"$python" -m tests.nomad.e2e
