#!/usr/bin/env bash
# The Nomad job on a real Nomad dev agent with the Docker driver, as
# deployments/nomad/README.md runs it: `nomad job run` with no variables,
# wait for the deployment, vote through the UI, `nomad job scale` the
# appserver group to 3, then three different appserver hostnames answer
# through the UI, and votes still count.
#
# Needs nomad (scripts/ci/install-nomad.sh), Docker, jq, sudo, and the images
# from scripts/ci/build-images.sh in the local Docker (the agent runs them
# from there, as a client with pre-pulled images would).
#
#   scripts/ci/nomad-deployment.sh
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NOMAD_DIR=$YELB_ROOT/deployments/nomad
export NOMAD_ADDR=http://127.0.0.1:4646
SCALE_TO=3

work=$(mktemp -d)
current_step="starting"

report_failure() {
	local status=$?
	if [ "$status" -ne 0 ]; then
		echo "FAILED during: $current_step" >&2
		dump_nomad
	fi
}
trap report_failure EXIT

dump_nomad() {
	set +e
	echo "::group::state of job yelb"
	nomad job status yelb
	local alloc
	for alloc in $(nomad job allocs -json yelb | jq -r '.[].ID'); do
		nomad alloc status "$alloc"
		echo "--- stderr of $alloc"
		nomad alloc logs -stderr -tail -n 50 "$alloc"
	done
	echo "--- agent log"
	tail -n 100 "$work/agent.log"
	echo "::endgroup::"
}

# wait_for DESCRIPTION SECONDS COMMAND...: COMMAND succeeds within SECONDS.
wait_for() {
	local description=$1 deadline=$((SECONDS + $2))
	shift 2
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "$description: not within $2 s"
		sleep 3
	done
}

docker_driver_healthy() {
	[ "$(nomad node status -self -json 2>/dev/null | jq -r '.Drivers.docker.Healthy')" = true ]
}

# latest_deployment_done: true once successful; stops the script if it failed.
latest_deployment_done() {
	local status
	status=$(nomad job deployments -latest -json yelb | jq -r 'if type == "array" then .[0] else . end | .Status')
	case $status in
	successful) return 0 ;;
	failed | cancelled) fail "the deployment of job yelb is $status" ;;
	*) return 1 ;;
	esac
}

start_agent() {
	current_step="starting the Nomad dev agent"
	# As the README says: the volume's directory belongs to the image's postgres user.
	as_root install -d -o 999 -g 999 -m 0700 /opt/nomad/volumes/yelb-db
	as_root nomad agent -dev -bind 0.0.0.0 \
		-network-interface='{{ GetDefaultInterfaces | attr "name" }}' \
		-config="$NOMAD_DIR/agent-dev.hcl" >"$work/agent.log" 2>&1 &
	wait_for "the dev agent's Docker driver is healthy" 90 docker_driver_healthy
}

appservers_registered() {
	[ "$(nomad service info -json yelb-appserver | jq length)" -eq "$SCALE_TO" ]
}

# appserver_hostnames N: the hostnames of N requests through the UI, one per line.
appserver_hostnames() {
	local i
	for ((i = 0; i < $1; i++)); do
		ui_request "$UI_URL/api/hostname" || true
		echo
	done
}

three_hostnames_rotate() {
	local distinct
	distinct=$(appserver_hostnames 15 | sed '/^$/d' | sort -u | wc -l)
	say "$distinct distinct appserver hostnames in 15 requests"
	[ "$distinct" -ge "$SCALE_TO" ]
}

main() {
	# The agent keeps running when this script ends: the runner is thrown away.
	start_agent

	current_step="nomad job run yelb.nomad.hcl"
	nomad job run "$NOMAD_DIR/yelb.nomad.hcl"
	wait_for "the deployment of job yelb succeeds" 600 latest_deployment_done

	current_step="voting through the UI"
	UI_URL=$(nomad service info -t '{{ with index . 0 }}http://{{ .Address }}:{{ .Port }}{{ end }}' yelb-ui)
	vote_through_ui

	current_step="nomad job scale yelb appserver $SCALE_TO"
	nomad job scale yelb appserver "$SCALE_TO"
	wait_for "the scaled deployment of job yelb succeeds" 600 latest_deployment_done
	wait_for "$SCALE_TO appservers in the catalogue" 60 appservers_registered

	current_step="waiting for $SCALE_TO hostnames to rotate through the UI"
	# The UI re-renders its upstream list and restarts (after a splay of up to 10 s).
	wait_for "$SCALE_TO appserver hostnames answer through the UI" 120 three_hostnames_rotate
	vote_through_ui
	say "Nomad: the job ran, voted, scaled to $SCALE_TO and rotated through $SCALE_TO appservers"
}

main "$@"
