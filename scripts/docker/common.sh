# shellcheck shell=bash disable=SC2034  # sourced: its variables are used by the scripts
# Shared settings of the image scripts (sourced).
#
# The one registry knob and the one tag knob, as in every other format:
#   YELB_REGISTRY  where images are named, pushed and pulled: <host>/<project>
#                  (default ghcr.io/yelb-project, the published images)
#   YELB_TAG       image tag (default: the release version, yelb-appserver/pyproject.toml)
# Redis goes with them as $YELB_REGISTRY/redis:7-alpine.

set -euo pipefail

YELB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
YELB_PUBLIC_REGISTRY=ghcr.io/yelb-project
# The release version: the chart's appVersion agrees (tests/compose/test_scripts.py).
YELB_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$YELB_ROOT/yelb-appserver/pyproject.toml")
YELB_REGISTRY=${YELB_REGISTRY:-$YELB_PUBLIC_REGISTRY}
YELB_TAG=${YELB_TAG:-$YELB_VERSION}
YELB_REDIS_TAG=7-alpine
YELB_IMAGES="yelb-appserver yelb-ui yelb-db yelb-loadgen"

# A registry is a path, not a URL: Docker and Helm would fail later and less clearly.
case "$YELB_REGISTRY" in
*://* | */)
	echo "$(basename "$0"): YELB_REGISTRY=$YELB_REGISTRY: give <host>/<project>, without a scheme or a trailing slash" >&2
	exit 2
	;;
esac

# yelb-loadgen's context is loadgen/, yelb-db's the repository root (its schema is
# the appserver's file), the others are named like their folder.
yelb_context() {
	case "$1" in
	yelb-loadgen) echo "$YELB_ROOT/loadgen" ;;
	yelb-db) echo "$YELB_ROOT" ;;
	*) echo "$YELB_ROOT/$1" ;;
	esac
}

# Every Dockerfile sits in the image's folder.
yelb_dockerfile() {
	case "$1" in
	yelb-loadgen) echo "$YELB_ROOT/loadgen/Dockerfile" ;;
	*) echo "$YELB_ROOT/$1/Dockerfile" ;;
	esac
}

# The registry host alone (before the first /), for messages about
# `docker login` and insecure registries.
yelb_registry_host() {
	echo "${YELB_REGISTRY%%/*}"
}

yelb_require_docker() {
	docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
		echo "$(basename "$0"): no Docker engine answers (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-default})" >&2
		exit 1
	}
}
