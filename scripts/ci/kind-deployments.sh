#!/usr/bin/env bash
# Every Kubernetes deployment of Yelb on a real cluster (kind), one after the
# other, each applied unchanged:
#   - the Kustomize base and every folder under overlays/: `kubectl apply -k`,
#     wait for the rollouts, vote through the yelb-ui Service, delete it all;
#   - two releases of the Helm chart side by side: `helm install --wait`,
#     `helm test`, vote through each one's yelb-ui Service, `helm uninstall`.
# Votes go from a client pod in a namespace of its own, by the Service's
# cluster DNS name, as another workload in the cluster would reach it.
#
# Needs a kind cluster named $KIND_CLUSTER (default yelb), kubectl, helm, jq
# and the images from scripts/ci/build-images.sh. Each image a deployment
# names is loaded into the cluster under that name (`kind load docker-image`),
# so a private-registry overlay runs the same images without the registry.
#
#   scripts/ci/kind-deployments.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KIND_CLUSTER=${KIND_CLUSTER:-yelb}
KUSTOMIZE_ROOT=$YELB_ROOT/deployments/kubernetes
CHART=$YELB_ROOT/deployments/helm/yelb
CLIENT_NAMESPACE=yelb-ci-client
HELM_NAMESPACE=yelb-helm
# Helm releases (NAME [helm flags]), installed side by side in one namespace,
# so that resource names ignoring the release would collide; the second one
# isolated by its NetworkPolicies.
HELM_RELEASES=(
	"yelb"
	"shop --set networkPolicy.enabled=true"
)

work=""
current_step="starting"
current_namespace=""

# On failure: which step, and the namespace's state, events and logs.
report_failure() {
	local status=$?
	if [ "$status" -ne 0 ]; then
		echo "FAILED during: $current_step" >&2
		if [ -n "$current_namespace" ]; then dump_namespace "$current_namespace"; fi
	fi
	rm -rf "$work"
}

dump_namespace() { # NAMESPACE
	set +e
	echo "::group::state of namespace $1"
	kubectl -n "$1" get all,pvc,networkpolicies,ingresses -o wide
	kubectl -n "$1" describe pods
	kubectl -n "$1" get events --sort-by=.lastTimestamp
	local pod
	for pod in $(kubectl -n "$1" get pods -o name); do
		echo "--- logs of $pod"
		kubectl -n "$1" logs "$pod" --all-containers --prefix --tail=100
	done
	echo "::endgroup::"
}

# kustomize_targets: the base, then every overlay folder (found, not listed here).
kustomize_targets() {
	echo "$KUSTOMIZE_ROOT/base"
	local found=0 overlay
	for overlay in "$KUSTOMIZE_ROOT"/overlays/*/; do
		[ -f "$overlay/kustomization.yaml" ] || continue
		echo "${overlay%/}"
		found=$((found + 1))
	done
	[ "$found" -gt 0 ] || fail "no overlay with a kustomization.yaml under $KUSTOMIZE_ROOT/overlays"
}

# load_images RENDERED_FILE: every image it names, into the cluster under that name.
load_images() {
	local ref built
	for ref in $(rendered_images "$1"); do
		built=$(built_image_for "$ref")
		if [ "$ref" != "$built" ]; then docker tag "$built" "$ref"; fi
		kind load docker-image --name "$KIND_CLUSTER" "$ref"
	done
}

# start_client: a pod with curl (the UI image carries it), outside every
# namespace under test so their NetworkPolicies treat it as any other client.
start_client() {
	local image=$YELB_REGISTRY/yelb-ui:$YELB_TAG
	current_step="starting the client pod"
	current_namespace=$CLIENT_NAMESPACE
	kind load docker-image --name "$KIND_CLUSTER" "$image"
	kubectl create namespace "$CLIENT_NAMESPACE"
	kubectl -n "$CLIENT_NAMESPACE" apply -f - <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: curl
      image: $image
      imagePullPolicy: IfNotPresent
      command: [sleep, infinity]
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
YAML
	kubectl -n "$CLIENT_NAMESPACE" wait --for=condition=Ready pod/client --timeout=2m
	UI_CURL=(kubectl -n "$CLIENT_NAMESPACE" exec client -- curl)
}

# use_ui_service NAMESPACE SELECTOR: UI_URL becomes the one yelb-ui Service's DNS name.
use_ui_service() {
	local services port
	services=$(kubectl -n "$1" get services -l "$2" -o jsonpath='{.items[*].metadata.name}')
	case $services in
	"" | *" "*) fail "namespace $1 should have one Service labelled $2, has: '${services}'" ;;
	esac
	port=$(kubectl -n "$1" get service "$services" -o jsonpath='{.spec.ports[0].port}')
	UI_URL=http://$services.$1.svc.cluster.local:$port
}

prove_kustomize() { # FOLDER
	local target=$1 namespaces object
	local name=${target#"$YELB_ROOT"/}
	current_step="rendering $name"
	kubectl kustomize "$target" >"$work/rendered.yaml"
	load_images "$work/rendered.yaml"

	current_step="kubectl apply -k $name"
	kubectl apply -k "$target" -o name | tee "$work/applied"
	namespaces=$(sed -n 's|^namespace/||p' "$work/applied")
	case $namespaces in
	"" | *[[:space:]]*) fail "$name should create exactly one Namespace, creates: '${namespaces}'" ;;
	esac
	current_namespace=$namespaces

	current_step="rollout of $name"
	grep -E '^(deployment|statefulset)\.apps/' "$work/applied" >"$work/workloads" ||
		fail "$name creates no Deployment or StatefulSet"
	while read -r object; do
		kubectl -n "$namespaces" rollout status "$object" --timeout=5m </dev/null
	done <"$work/workloads"

	current_step="voting through the UI of $name"
	use_ui_service "$namespaces" app.kubernetes.io/name=yelb-ui
	vote_through_ui

	current_step="deleting $name"
	kubectl delete -k "$target" --ignore-not-found --wait=true --timeout=3m
	current_namespace=""
}

# install_release NAME [HELM ARGS...]: its images loaded, installed and ready.
install_release() {
	local release=$1
	shift
	current_step="helm install $release $*"
	# The install's own render, hooks included, against the cluster (so the
	# chart generates its password as in a real install).
	helm install "$release" "$CHART" --namespace "$HELM_NAMESPACE" "$@" --dry-run=server >"$work/rendered.yaml"
	load_images "$work/rendered.yaml"
	helm install "$release" "$CHART" --namespace "$HELM_NAMESPACE" "$@" --wait --timeout 5m
}

prove_helm() {
	local line release releases=()
	current_namespace=$HELM_NAMESPACE
	kubectl create namespace "$HELM_NAMESPACE"
	kubectl label namespace "$HELM_NAMESPACE" pod-security.kubernetes.io/enforce=restricted
	for line in "${HELM_RELEASES[@]}"; do
		# shellcheck disable=SC2086  # a release line is words: the name, then helm flags
		install_release $line
		releases+=("${line%% *}")
	done
	for release in "${releases[@]}"; do
		current_step="helm test $release"
		helm test "$release" --namespace "$HELM_NAMESPACE" --logs --timeout 3m
		current_step="voting through the UI of release $release"
		use_ui_service "$HELM_NAMESPACE" "app.kubernetes.io/name=yelb-ui,app.kubernetes.io/instance=$release"
		vote_through_ui
	done
	for release in "${releases[@]}"; do
		current_step="helm uninstall $release"
		helm uninstall "$release" --namespace "$HELM_NAMESPACE" --wait --timeout 3m
	done
	kubectl delete namespace "$HELM_NAMESPACE" --wait=true --timeout=3m
	current_namespace=""
}

main() {
	local targets target
	work=$(mktemp -d)
	trap report_failure EXIT
	targets=$(kustomize_targets)
	start_client
	for target in $targets; do
		say "Kustomize: ${target#"$YELB_ROOT"/}"
		prove_kustomize "$target"
	done
	say "Helm: releases ${HELM_RELEASES[*]}"
	prove_helm
	say "every Kustomize target and Helm release voted through its UI Service"
}

# Sourced (the tests call kustomize_targets), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
