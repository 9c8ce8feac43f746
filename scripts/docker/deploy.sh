#!/usr/bin/env bash
# Deploys the compose stack from a registry: pulls every image from
# $REGISTRY with $TAG (never builds) and starts it.
#
#   REGISTRY=harbor.example.com/yelb TAG=1.0.0 scripts/docker/deploy.sh [compose up flags]
#
# COMPOSE picks the compose command (default: `docker compose`, else
# docker-compose). Extra arguments go to `up`, e.g. --scale yelb-appserver=3.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ -z "${COMPOSE:-}" ]; then
	if docker compose version >/dev/null 2>&1; then COMPOSE="docker compose"; else COMPOSE=docker-compose; fi
fi
export YELB_REGISTRY=$REGISTRY YELB_TAG=$TAG
export YELB_REDIS_IMAGE=${YELB_REDIS_IMAGE:-$REGISTRY/redis:7-alpine}

cd "$YELB_ROOT"
# shellcheck disable=SC2086  # COMPOSE may be two words
$COMPOSE pull yelb-ui yelb-appserver redis-server yelb-db
# shellcheck disable=SC2086
$COMPOSE up -d --no-build "$@"
# shellcheck disable=SC2086
$COMPOSE ps
