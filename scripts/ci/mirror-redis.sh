#!/usr/bin/env bash
# Mirrors the stock Redis image to $YELB_REGISTRY/redis:<tag>: the whole
# multi-platform index, with the attestations upstream attached, copied by
# `docker buildx imagetools create` (nothing is rebuilt). Prints the mirror's
# reference by digest, for signing, and appends it to $GITHUB_OUTPUT when set.
#
#   YELB_REGISTRY=ghcr.io/yelb-project scripts/ci/mirror-redis.sh    (after docker login)
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say "mirroring docker.io/library/$REDIS_SOURCE_IMAGE to $REDIS_IMAGE"
docker buildx imagetools create --tag "$REDIS_IMAGE" "docker.io/library/$REDIS_SOURCE_IMAGE"
digest=$(docker buildx imagetools inspect "$REDIS_IMAGE" --format '{{ json .Manifest }}' | jq -r .digest)
case $digest in sha256:*) ;; *) fail "no digest for $REDIS_IMAGE after the copy (got '$digest')" ;; esac
echo "reference=${REDIS_IMAGE%:*}@$digest" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
