#!/usr/bin/env bash
# Turns a bare debian:bookworm container into what the project's own CI
# machines are before scripts/bootstrap runs (Debian 12, root): make, Python
# with venv, git trusting the checkout, curl and jq.
#
#   scripts/ci/debian-prereqs.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ "$(id -u)" -eq 0 ] || fail "debian-prereqs: run as root (the suite job's container is)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends make python3 python3-venv git curl jq ca-certificates >/dev/null

# The checkout belongs to the runner's user, not to root.
git config --global --add safe.directory "$YELB_ROOT"
say "Debian prerequisites in place; bootstrap does the rest"
