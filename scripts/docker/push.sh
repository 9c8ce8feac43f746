#!/usr/bin/env bash
# Tags the images built by images.sh and pushes them to a registry.
#
#   REGISTRY=harbor.example.com/yelb TAG=1.0.0 scripts/docker/push.sh
#
# Each image is taken from $REGISTRY/<name>:$TAG when it was built under that
# name, else from BUILD_REGISTRY/BUILD_TAG (defaults: the names images.sh
# gives with no settings, ghcr.io/yelb-project and latest).
# Redis is pushed too, as $REGISTRY/redis:7-alpine, so a deployment needs
# nothing but that registry; REDIS_IMAGE names the local source image
# (default redis:7-alpine, pulled when missing).
if [ -z "${REGISTRY:-}" ]; then
	echo "push.sh: set REGISTRY=<host>/<project> (and TAG), e.g. REGISTRY=127.0.0.1:5000/yelb" >&2
	exit 2
fi
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

yelb_require_docker
build_registry=${BUILD_REGISTRY:-ghcr.io/yelb-project}
build_tag=${BUILD_TAG:-latest}
redis_image=${REDIS_IMAGE:-redis:7-alpine}

push() { # source target
	if [ "$1" != "$2" ]; then docker tag "$1" "$2"; fi
	echo "==> $2"
	docker push "$2" || {
		echo "push: could not push to $(yelb_registry_host)." >&2
		echo "push: log in first (docker login $(yelb_registry_host)); a plain-HTTP registry must be" >&2
		echo "push: listed in the engine's insecure-registries (see deployments/registry/README.md)." >&2
		return 1
	}
}

for name in $YELB_IMAGES; do
	target="$REGISTRY/$name:$TAG"
	source=$target
	docker image inspect "$source" >/dev/null 2>&1 || source="$build_registry/$name:$build_tag"
	docker image inspect "$source" >/dev/null 2>&1 || {
		echo "push: neither $target nor $source exists here; build first (make images)" >&2
		exit 1
	}
	push "$source" "$target"
done

docker image inspect "$redis_image" >/dev/null 2>&1 || docker pull "$redis_image"
push "$redis_image" "$REGISTRY/redis:7-alpine"
