#!/usr/bin/env bash
# What a release publishes, for .github/workflows/release.yml:
#   version   the tag without its v (v1.2.3 -> 1.2.3); it must equal the
#             chart's appVersion and the appserver's version, or nothing is published
#   registry  ghcr.io/<repository owner, lower case>
#   images    the images to build with their build contexts and Dockerfiles, as JSON, from
#             scripts/docker/common.sh (the list `make images` builds)
# Prints name=value lines, and appends them to $GITHUB_OUTPUT when it is set.
#
#   GITHUB_REF_NAME=v1.0.0 GITHUB_REPOSITORY_OWNER=yelb-project scripts/ci/release-plan.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tag=${GITHUB_REF_NAME:?set GITHUB_REF_NAME to the release tag, e.g. v1.0.0}
owner=${GITHUB_REPOSITORY_OWNER:?set GITHUB_REPOSITORY_OWNER}
case $tag in
v[0-9]*.[0-9]*.[0-9]*) version=${tag#v} ;;
*) fail "release tag '$tag' is not v<major>.<minor>.<patch>" ;;
esac
chart_version=$(sed -n -E 's/^appVersion:[[:space:]]*"?([^"]*)"?[[:space:]]*$/\1/p' "$YELB_ROOT/deployments/helm/yelb/Chart.yaml")
[ "$version" = "$chart_version" ] ||
	fail "release tag $tag does not match the chart's appVersion '$chart_version' (deployments/helm/yelb/Chart.yaml)"
[ "$version" = "$YELB_VERSION" ] ||
	fail "release tag $tag does not match the appserver's version '$YELB_VERSION' (yelb-appserver/pyproject.toml)"

images=$(
	separator=""
	printf '['
	for name in $YELB_IMAGES; do
		context=$(yelb_context "$name")
		context=${context#"$YELB_ROOT"}
		context=${context#/}
		dockerfile=$(yelb_dockerfile "$name")
		printf '%s{"name":"%s","context":"%s","file":"%s"}' "$separator" "$name" "${context:-.}" \
			"${dockerfile#"$YELB_ROOT"/}"
		separator=,
	done
	printf ']'
)

plan=$(printf 'version=%s\nregistry=ghcr.io/%s\nimages=%s\n' "$version" "${owner,,}" "$images")
echo "$plan"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$plan" >>"$GITHUB_OUTPUT"; fi
