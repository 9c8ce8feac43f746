#!/usr/bin/env bash
# Builds every Yelb image as $YELB_REGISTRY/<name>:$YELB_TAG (scripts/docker/common.sh).
#
#   scripts/docker/images.sh                 # all images
#   scripts/docker/images.sh yelb-db         # some of them
#
# Build knobs, passed through as build arguments when set:
#   PYTHON_IMAGE, NGINX_IMAGE, POSTGRES_IMAGE   base images (point them at a mirror)
#   WHEELHOUSE   a folder of wheels: Python images install from it with no index
#   REVISION     git revision for the labels (default: the clone's HEAD)
#   PLATFORM     e.g. linux/arm64 (needs a builder for that platform)
#   DOCKER_BUILD_FLAGS   extra `docker build` flags, e.g. "--network host --pull"
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

revision=${REVISION:-$(git -C "$YELB_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

build() {
	local name=$1 context dockerfile
	context=$(yelb_context "$name")
	dockerfile=$(yelb_dockerfile "$name")
	local args=(--build-arg "VERSION=$YELB_VERSION" --build-arg "REVISION=$revision")
	local var
	for var in PYTHON_IMAGE NGINX_IMAGE POSTGRES_IMAGE; do
		if [ -n "${!var:-}" ]; then args+=(--build-arg "$var=${!var}"); fi
	done
	if [ -n "${PLATFORM:-}" ]; then args+=(--platform "$PLATFORM"); fi
	# A wheelhouse has to be inside the build context: build from a copy of
	# the folder with the wheels beside its sources (Python images only).
	if [ -n "${WHEELHOUSE:-}" ] && grep -q '^ARG WHEELHOUSE' "$dockerfile"; then
		cp -a "$context" "$scratch/$name"
		cp -a "$WHEELHOUSE" "$scratch/$name/.wheelhouse"
		args+=(--build-arg WHEELHOUSE=.wheelhouse)
		context=$scratch/$name
		dockerfile=$context/Dockerfile
	fi
	echo "==> $YELB_REGISTRY/$name:$YELB_TAG"
	# shellcheck disable=SC2086  # DOCKER_BUILD_FLAGS is a list of flags
	docker build ${DOCKER_BUILD_FLAGS:-} "${args[@]}" -t "$YELB_REGISTRY/$name:$YELB_TAG" -f "$dockerfile" "$context"
}

names=${*:-$YELB_IMAGES}
for name in $names; do
	case " $YELB_IMAGES " in *" $name "*) ;; *) echo "images: unknown image $name (one of: $YELB_IMAGES)" >&2; exit 2 ;; esac
done
yelb_require_docker
for name in $names; do
	build "$name"
done
