#!/usr/bin/env bash
# Deploys the compose stack from a registry: pulls every image, Redis
# included, from $YELB_REGISTRY with $YELB_TAG (never builds) and starts it.
#
#   YELB_REGISTRY=harbor.example.com/yelb YELB_TAG=1.0.0 scripts/docker/deploy.sh [compose up flags]
#
# With no YELB_REGISTRY it deploys the published images (ghcr.io/yelb-project).
# COMPOSE picks the compose command (default: `docker compose`, else
# docker-compose). Extra arguments go to `up`, e.g. --scale yelb-appserver=3.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

yelb_require_docker
if [ -z "${COMPOSE:-}" ]; then
	if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
# docker-compose.yml reads the same two knobs.
export YELB_REGISTRY YELB_TAG

cd "$YELB_ROOT" || exit
# shellcheck disable=SC2086  # COMPOSE may be two words
$COMPOSE pull yelb-ui yelb-appserver redis-server yelb-db
# shellcheck disable=SC2086
$COMPOSE up -d --no-build "$@"
# shellcheck disable=SC2086
$COMPOSE ps
