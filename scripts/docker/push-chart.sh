#!/usr/bin/env bash
# Packages the Helm chart (deployments/helm/yelb) and pushes it as an OCI
# artifact to the registry of the images, beside them:
#
#   YELB_REGISTRY=harbor.example.com/yelb scripts/docker/push-chart.sh
#   -> oci://harbor.example.com/yelb/charts/yelb, tagged with the chart version
#
# It does what `helm package` and `helm push` do, through Helm's own Go SDK
# (helm-python-sdk, installed in .venv by scripts/bootstrap), so it needs no
# helm binary. Credentials are Helm's: `helm registry login <host>`. Hosts on
# 127.0.0.0/8 and localhost are spoken to in plain HTTP, as Docker does.
# PYTHON picks the interpreter (default .venv/bin/python of this clone).
if [ -z "${YELB_REGISTRY:-}" ]; then
	echo "push-chart.sh: set YELB_REGISTRY=<host>/<project>, e.g. YELB_REGISTRY=127.0.0.1:5000/yelb" >&2
	exit 2
fi
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

python=${PYTHON:-$YELB_ROOT/.venv/bin/python}
"$python" -c 'import helm_python' 2>/dev/null || {
	echo "push-chart.sh: $python cannot import helm_python (scripts/bootstrap test installs helm-python-sdk)" >&2
	exit 1
}
case "$(yelb_registry_host)" in
127.* | localhost | localhost:*) plain_http=yes ;;
*) plain_http=no ;;
esac
remote="oci://$YELB_REGISTRY/charts"

"$python" - "$YELB_ROOT/deployments/helm/yelb" "$remote" "$plain_http" <<'PY'
import sys
import tempfile

import helm_python as helm

chart, remote, plain_http = sys.argv[1:]
with tempfile.TemporaryDirectory(prefix="yelb-chart-") as scratch:
    archive = helm.package(chart, destination=scratch)
    helm.push(archive, remote, plain_http=plain_http == "yes")
    with helm.Chart.load(archive) as packaged:
        print(f"==> {remote}/{packaged.name}:{packaged.version} ({helm.digest(archive)})")
PY
