#!/usr/bin/env bash
# Checks a published release from the registry, as a user would find it:
# every Yelb image has linux/amd64 and linux/arm64 and an SBOM for each, the
# Redis mirror has both platforms, and every image and the chart carry a
# cosign signature made by this repository's release workflow.
#
#   VERSION=1.0.0 YELB_REGISTRY=ghcr.io/yelb-project IMAGES="yelb-ui ..." \
#     GITHUB_REPOSITORY=yelb-project/yelb scripts/ci/verify-release.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${VERSION:?set VERSION}" "${IMAGES:?set IMAGES}" "${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY}"
signer="^https://github.com/$GITHUB_REPOSITORY/\\.github/workflows/release\\.yml@refs/tags/"

verify_signature() { # REFERENCE
	cosign verify --certificate-identity-regexp "$signer" \
		--certificate-oidc-issuer https://token.actions.githubusercontent.com "$1" >/dev/null ||
		fail "$1 has no signature from $GITHUB_REPOSITORY's release workflow"
	say "$1: signed by the release workflow"
}

verify_platforms() { # REFERENCE
	local platforms platform
	platforms=$(docker buildx imagetools inspect "$1" --format '{{ json .Manifest }}' |
		jq -r '.manifests[].platform | "\(.os)/\(.architecture)"')
	for platform in linux/amd64 linux/arm64; do
		grep -qx "$platform" <<<"$platforms" || fail "$1 has no $platform image (has: $(echo "$platforms" | xargs))"
	done
	say "$1: linux/amd64 and linux/arm64"
}

verify_sbom() { # REFERENCE
	local documents
	documents=$(docker buildx imagetools inspect "$1" --format '{{ json .SBOM }}' | jq '[.. | .SPDX? // empty] | length')
	[ "$documents" -ge 2 ] || fail "$1 should carry an SBOM per platform, has $documents"
	say "$1: $documents SBOM documents"
}

for name in $IMAGES; do
	verify_platforms "$YELB_REGISTRY/$name:$VERSION"
	verify_sbom "$YELB_REGISTRY/$name:$VERSION"
	verify_signature "$YELB_REGISTRY/$name:$VERSION"
done
verify_platforms "$REDIS_IMAGE"
verify_signature "$REDIS_IMAGE"
chart_version=$(sed -n -E 's/^version:[[:space:]]*"?([^"]*)"?[[:space:]]*$/\1/p' "$YELB_ROOT/deployments/helm/yelb/Chart.yaml")
verify_signature "$YELB_REGISTRY/charts/yelb:$chart_version"
