#!/usr/bin/env bash
# Installs the pinned Nomad release into /usr/local/bin, refusing a download
# whose SHA-256 differs from the one recorded here (the one HashiCorp
# publishes for that zip). Linux x86_64 only, like the CI runners.
#
#   scripts/ci/install-nomad.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NOMAD_VERSION=1.10.3
NOMAD_SHA256=a161b8d59b42555d97d37f7a75c122831be485e89dfb97d16d6b60cfaec8d88b # nomad_1.10.3_linux_amd64.zip

[ "$(uname -sm)" = "Linux x86_64" ] || fail "install-nomad: only for Linux x86_64, not $(uname -sm)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
archive=$work/nomad.zip
curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location --retry 3 --output "$archive" \
	"https://releases.hashicorp.com/nomad/$NOMAD_VERSION/nomad_${NOMAD_VERSION}_linux_amd64.zip"
echo "$NOMAD_SHA256  $archive" | sha256sum --check --quiet - ||
	fail "install-nomad: nomad_${NOMAD_VERSION}_linux_amd64.zip does not have the pinned SHA-256 $NOMAD_SHA256"
unzip -q "$archive" nomad -d "$work"
as_root install -m 0755 "$work/nomad" /usr/local/bin/nomad
nomad version
