# Shared settings of the image scripts (sourced).
#
# REGISTRY  where images are named and pushed: <host>/<project>
#           (default ghcr.io/yelb-project, the public images)
# TAG       image tag (default latest)
# The images Yelb builds, each with its build context folder in the repo.

set -euo pipefail

YELB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REGISTRY=${REGISTRY:-ghcr.io/yelb-project}
REGISTRY=${REGISTRY%/}
TAG=${TAG:-latest}
YELB_IMAGES="yelb-appserver yelb-ui yelb-db yelb-loadgen"

# yelb-loadgen's context is loadgen/, the others are named like their folder.
yelb_context() {
	case "$1" in
	yelb-loadgen) echo "$YELB_ROOT/loadgen" ;;
	*) echo "$YELB_ROOT/$1" ;;
	esac
}

# The registry host alone (before the first /), for messages about
# `docker login` and insecure registries.
yelb_registry_host() {
	echo "${REGISTRY%%/*}"
}

yelb_require_docker() {
	docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
		echo "$(basename "$0"): no Docker engine answers (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-default})" >&2
		exit 1
	}
}
