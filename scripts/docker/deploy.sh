#!/usr/bin/env bash
# Deploys the compose stack from a registry: pulls every image from
# $REGISTRY with $TAG (never builds) and starts it.
#
#   REGISTRY=harbor.example.com/yelb TAG=1.0.0 scripts/docker/deploy.sh [compose up flags]
#
# With no REGISTRY it deploys the public images and stock Redis; with one,
# Redis comes from there too (push.sh puts it there), unless YELB_REDIS_IMAGE
# says otherwise. COMPOSE picks the compose command (default: `docker
# compose`, else docker-compose). Extra arguments go to `up`, e.g.
# --scale yelb-appserver=3.
registry_given=${REGISTRY:+yes}
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

yelb_require_docker
if [ -z "${COMPOSE:-}" ]; then
	if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
export YELB_REGISTRY=$REGISTRY YELB_TAG=$TAG
if [ -n "$registry_given" ]; then
	export YELB_REDIS_IMAGE=${YELB_REDIS_IMAGE:-$REGISTRY/redis:7-alpine}
fi

cd "$YELB_ROOT"
# shellcheck disable=SC2086  # COMPOSE may be two words
$COMPOSE pull yelb-ui yelb-appserver redis-server yelb-db
# shellcheck disable=SC2086
$COMPOSE up -d --no-build "$@"
# shellcheck disable=SC2086
$COMPOSE ps
