#!/bin/sh
# Point the private-registry component at REGISTRY and every Yelb image at TAG,
# then deploy it:
#   deployments/kubernetes/set-registry.sh registry.example.com/yelb 1.0.0
#   kubectl apply -k deployments/kubernetes/overlays/private-registry
# Redis keeps its upstream tag: REGISTRY/redis:7-alpine.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 REGISTRY TAG   (e.g. registry.example.com/yelb 1.0.0)" >&2
  exit 2
fi
registry=$1
tag=$2

fail() {
  echo "set-registry.sh: $*" >&2
  exit 2
}
case $registry in
  *://*) fail "registry '$registry' has a scheme: give host[:port]/path, e.g. ${registry#*://}" ;;
  */) fail "registry '$registry' ends in '/': drop the trailing slash" ;;
  '' | *[!a-z0-9._:/-]*) fail "registry '$registry' is not a host[:port]/path of lowercase letters, digits and . _ : / -" ;;
esac
case $tag in
  '' | [.-]* | *[!A-Za-z0-9_.-]*) fail "tag '$tag' is not an image tag (letters, digits, _ . -; not starting with . or -)" ;;
esac

# Both values were checked above, so neither holds a character sed treats specially.
component="$(dirname "$0")/components/private-registry/kustomization.yaml"
sed -e "s|^\( *newName: \).*/\([^/]*\)\$|\1$registry/\2|" \
    -e "s|^\( *newTag: \).*\$|\1$tag|" "$component" > "$component.new"
mv "$component.new" "$component"
echo "images: $registry/{yelb-ui,yelb-appserver,yelb-db}:$tag and $registry/redis:7-alpine"
