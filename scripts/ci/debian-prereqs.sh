#!/usr/bin/env bash
# Turns a bare debian:bookworm container into what the project's own CI
# machines are before scripts/bootstrap runs (Debian 12, root): make, Python
# with venv, git trusting the checkout, curl and jq, and the Kubernetes apt
# repository that bootstrap installs kubectl from (Debian has no kubectl package).
#
#   scripts/ci/debian-prereqs.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KUBERNETES_MINOR=v1.33

[ "$(id -u)" -eq 0 ] || fail "debian-prereqs: run as root (the suite job's container is)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends make python3 python3-venv git curl jq gnupg ca-certificates >/dev/null

install -d -m 0755 /etc/apt/keyrings
curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location \
	"https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" |
	gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /" \
	>/etc/apt/sources.list.d/kubernetes.list

# The checkout belongs to the runner's user, not to root.
git config --global --add safe.directory "$YELB_ROOT"
say "Debian prerequisites in place; bootstrap does the rest"
