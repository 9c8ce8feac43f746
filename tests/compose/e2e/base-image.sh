#!/usr/bin/env bash
# Builds the local Debian base image the e2e test uses instead of pulling one:
# no public registry is reachable here. debootstrap makes a minimal bookworm
# root filesystem once; its tarball is cached (keyed by suite, variant and
# mirror) so reruns only `docker import` it, or nothing when the image exists.
#
# usage: base-image.sh IMAGE_NAME   (env: YELB_E2E_CACHE, DEBIAN_MIRROR)
set -euo pipefail

image=${1:?usage: base-image.sh IMAGE_NAME}
cache=${YELB_E2E_CACHE:-$HOME/.cache/yelb-e2e}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Bump recipe when the steps below change, so a stale cached tarball is not reused.
recipe=2
key=$(printf '%s %s %s %s' "$suite" minbase "$mirror" "$recipe" | sha256sum | cut -c1-12)
tarball=$cache/rootfs-$suite-minbase-$key.tar

label=org.yelb-project.e2e.rootfs
if [ "$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$image" 2>/dev/null)" = "$key" ]; then
	exit 0
fi

if [ ! -s "$tarball" ]; then
	command -v debootstrap >/dev/null || { echo "base-image: debootstrap not found (apt-get install debootstrap)" >&2; exit 1; }
	mkdir -p "$cache"
	rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
	trap 'rm -rf "$rootfs"' EXIT
	echo "base-image: debootstrap --variant=minbase $suite from $mirror"
	debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
		tail -n 30 "$rootfs.log" >&2
		exit 1
	}
	rm -f "$rootfs.log"
	# Package installs in image builds (host network) must never start services.
	printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
	chmod 755 "$rootfs/usr/sbin/policy-rc.d"
	# Same trimming the official slim images do: no apt lists or caches.
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
	tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
fi

docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'CMD ["bash"]' \
	--change "LABEL $label=$key" \
	"$tarball" "$image" >/dev/null
echo "base-image: imported $image"
