#!/usr/bin/env bash
# Tags the images built by images.sh and pushes them to a registry.
#
#   YELB_REGISTRY=harbor.example.com/yelb YELB_TAG=1.0.0 scripts/docker/push.sh
#
# Each image is taken from $YELB_REGISTRY/<name>:$YELB_TAG when it was built
# under that name, else from the name images.sh gives with no settings
# (ghcr.io/yelb-project/<name>:<version>).
# Redis is pushed too, as $YELB_REGISTRY/redis:7-alpine, so a deployment needs
# nothing but that registry: that name when it exists here, else the stock
# redis:7-alpine (pulled when missing).
if [ -z "${YELB_REGISTRY:-}" ]; then
	echo "push.sh: set YELB_REGISTRY=<host>/<project> (and YELB_TAG), e.g. YELB_REGISTRY=127.0.0.1:5000/yelb" >&2
	exit 2
fi
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

yelb_require_docker

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
	target="$YELB_REGISTRY/$name:$YELB_TAG"
	source=$target
	docker image inspect "$source" >/dev/null 2>&1 || source="$YELB_PUBLIC_REGISTRY/$name:$YELB_VERSION"
	docker image inspect "$source" >/dev/null 2>&1 || {
		echo "push: neither $target nor $source exists here; build first (make images)" >&2
		exit 1
	}
	push "$source" "$target"
done

redis="$YELB_REGISTRY/redis:$YELB_REDIS_TAG"
redis_source=$redis
if ! docker image inspect "$redis" >/dev/null 2>&1; then
	redis_source=redis:$YELB_REDIS_TAG
	docker image inspect "$redis_source" >/dev/null 2>&1 || docker pull "$redis_source"
fi
push "$redis_source" "$redis"
