#!/usr/bin/env bash
# Packages the Helm chart and pushes it as an OCI artifact to
# oci://$YELB_REGISTRY/charts (as <registry>/charts/yelb:<chart version>).
# Prints the pushed reference by digest, for signing, and appends it to
# $GITHUB_OUTPUT when set. REGISTRY_USER / REGISTRY_TOKEN log Helm in.
#
#   YELB_REGISTRY=ghcr.io/yelb-project REGISTRY_USER=... REGISTRY_TOKEN=... scripts/ci/publish-chart.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

: "${REGISTRY_USER:?set REGISTRY_USER}" "${REGISTRY_TOKEN:?set REGISTRY_TOKEN}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%s' "$REGISTRY_TOKEN" | helm registry login "${YELB_REGISTRY%%/*}" --username "$REGISTRY_USER" --password-stdin
helm package "$YELB_ROOT/deployments/helm/yelb" --destination "$work"
helm push "$work"/yelb-*.tgz "oci://$YELB_REGISTRY/charts" 2>&1 | tee "$work/push.log"
digest=$(sed -n -E 's/^Digest:[[:space:]]*(sha256:[0-9a-f]+).*/\1/p' "$work/push.log")
[ -n "$digest" ] || fail "helm push printed no digest"
echo "reference=$YELB_REGISTRY/charts/yelb@$digest" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
