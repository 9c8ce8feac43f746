#!/usr/bin/env bash
# Builds the Yelb images with `make images` under the names the deployment
# files use by default, and gives the stock Redis image its mirrored name: the
# runner's Docker then holds what the release workflow publishes.
#
#   scripts/ci/build-images.sh      (YELB_REGISTRY / YELB_TAG: scripts/ci/common.sh)
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say "building the images as $YELB_REGISTRY/<name>:$YELB_TAG"
make -C "$YELB_ROOT" images YELB_REGISTRY="$YELB_REGISTRY" YELB_TAG="$YELB_TAG"
docker pull --quiet "$REDIS_SOURCE_IMAGE"
docker tag "$REDIS_SOURCE_IMAGE" "$REDIS_IMAGE"
docker image ls --filter "reference=$YELB_REGISTRY/*"
