#!/usr/bin/env bash
# Builds every Yelb image from this checkout on a machine that reaches no
# public registry, for the Docker end-to-end tests (compose, the stand-in
# cluster, Nomad): the test-only base images (debootstrap + Debian packages,
# images/), wheels downloaded on the host, then scripts/docker/images.sh with
# those bases. Needs a running Docker engine; layers and wheels are cached.
#
# usage: build-images.sh [IMAGE...]   (default: every Yelb image)
# Environment: YELB_E2E_CACHE, and YELB_REGISTRY / YELB_TAG / REVISION as for
# scripts/docker/images.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cache=${YELB_E2E_CACHE:-$HOME/.cache/yelb-e2e}
export DOCKER_BUILDKIT=0

"$here/base-image.sh" yelb-e2e/debian:bookworm
for image in python nginx postgres redis registry prometheus; do
	docker build --quiet --network host -t "yelb-e2e/$image" "$here/images/$image" >/dev/null
done

# Environment markers depend on the exact Python (redis needs async-timeout
# before 3.11.3), so the wheels are resolved by the host's Debian python3,
# the same package the test base image runs.
target_python=$(docker run --rm --network none yelb-e2e/python python3 -c 'import platform; print(platform.python_version())')
downloader=/usr/bin/python3
if [ "$("$downloader" -c 'import platform; print(platform.python_version())')" != "$target_python" ]; then
	echo "build-images: $downloader is not Python $target_python like the test base image" >&2
	exit 1
fi
wheel_key=$(cat "$root/yelb-appserver/requirements.txt" "$root/yelb-appserver/pyproject.toml" \
	"$root/loadgen/requirements.txt" <(echo "$target_python") | sha256sum | cut -c1-12)
wheelhouse=$cache/wheels-$wheel_key
if [ ! -d "$wheelhouse" ]; then
	rm -rf "$wheelhouse.tmp"
	"$downloader" -m pip download --quiet --disable-pip-version-check --dest "$wheelhouse.tmp" --only-binary=:all: \
		-r "$root/yelb-appserver/requirements.txt" -r "$root/loadgen/requirements.txt" "setuptools>=77" wheel 2>&1 |
		grep -v "is ignored: it is neither a file nor a directory" || true
	mv "$wheelhouse.tmp" "$wheelhouse"
fi

PYTHON_IMAGE=yelb-e2e/python NGINX_IMAGE=yelb-e2e/nginx POSTGRES_IMAGE=yelb-e2e/postgres \
	WHEELHOUSE=$wheelhouse DOCKER_BUILD_FLAGS="--network host --quiet" \
	"$root/scripts/docker/images.sh" "$@"
