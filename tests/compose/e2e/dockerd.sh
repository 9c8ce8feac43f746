# shellcheck shell=bash
# Private Docker engine for the Docker end-to-end tests (sourced, not run).
#
# When a Docker engine already answers on DOCKER_HOST (or the default socket),
# it is used as it is and left alone. Otherwise dockerd is started with its own
# data root, exec root and socket, and yelb_dockerd_stop stops exactly that PID
# and removes only the network state this engine created: the docker0,
# docker_gwbridge (swarm) and br-* bridges, the DOCKER* iptables chains and the
# rules that mention them or those bridges.

YELB_DOCKERD_PID=""

yelb_docker_answers() {
	docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# Bridges and chains present before our engine started are someone else's.
_yelb_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1; }
_yelb_docker_chains() { # table
	iptables -t "$1" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}'
}

# yelb_dockerd_start STATE_DIR: data root under STATE_DIR (kept between runs so
# layers are reused), exec root and socket under a short private run dir.
yelb_dockerd_start() {
	local state_dir=$1
	if [ -z "${DOCKER_HOST:-}" ] && yelb_docker_answers; then
		echo "e2e: using the running Docker engine"
		return 0
	fi
	if [ -n "${DOCKER_HOST:-}" ] && yelb_docker_answers; then
		echo "e2e: using the Docker engine at $DOCKER_HOST"
		return 0
	fi
	command -v dockerd >/dev/null || { echo "e2e: dockerd not found (apt-get install docker.io)" >&2; return 1; }

	local run_dir
	run_dir=$(mktemp -d /tmp/yelb-dockerd.XXXXXX)
	mkdir -p "$state_dir/data"
	YELB_DOCKERD_DATA_ROOT=$(cd "$state_dir/data" && pwd)
	YELB_DOCKERD_RUN_DIR=$run_dir
	YELB_DOCKERD_LINKS_BEFORE=$(_yelb_links | tr '\n' ' ')
	iptables -t filter -S >"$run_dir/iptables-filter.before" 2>/dev/null || true
	iptables -t nat -S >"$run_dir/iptables-nat.before" 2>/dev/null || true
	YELB_DOCKERD_FORWARD_POLICY=$(awk '$1 == "-P" && $2 == "FORWARD" {print $3}' "$run_dir/iptables-filter.before")
	YELB_DOCKERD_IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)

	dockerd \
		--data-root "$YELB_DOCKERD_DATA_ROOT" \
		--exec-root "$run_dir/exec" \
		--pidfile "$run_dir/dockerd.pid" \
		-H "unix://$run_dir/docker.sock" \
		--storage-driver overlay2 \
		>"$run_dir/dockerd.log" 2>&1 &
	YELB_DOCKERD_PID=$!
	export DOCKER_HOST="unix://$run_dir/docker.sock"

	local _
	for _ in $(seq 1 60); do
		if yelb_docker_answers; then
			echo "e2e: started dockerd (pid $YELB_DOCKERD_PID, log $run_dir/dockerd.log)"
			return 0
		fi
		if ! kill -0 "$YELB_DOCKERD_PID" 2>/dev/null; then break; fi
		sleep 0.5
	done
	echo "e2e: dockerd did not come up; last log lines:" >&2
	tail -n 20 "$run_dir/dockerd.log" >&2
	return 1
}

yelb_dockerd_stop() {
	[ -n "$YELB_DOCKERD_PID" ] || return 0
	kill -TERM "$YELB_DOCKERD_PID" 2>/dev/null || true
	local _
	for _ in $(seq 1 40); do
		kill -0 "$YELB_DOCKERD_PID" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$YELB_DOCKERD_PID" 2>/dev/null; then
		echo "e2e: dockerd (pid $YELB_DOCKERD_PID) ignored SIGTERM; sending SIGKILL" >&2
		kill -KILL "$YELB_DOCKERD_PID" 2>/dev/null || true
		wait "$YELB_DOCKERD_PID" 2>/dev/null || true
	fi

	# Bridges that appeared while our engine ran.
	local link
	for link in $(_yelb_links); do
		case "$link" in docker0 | docker_gwbridge | br-*) ;; *) continue ;; esac
		case " $YELB_DOCKERD_LINKS_BEFORE " in *" $link "*) continue ;; esac
		ip link delete "$link" 2>/dev/null || true
	done

	# Rules added while our engine ran that belong to Docker (its chains, its
	# bridges), then its chains, then the FORWARD policy and ip_forward it set.
	local table chain rule
	for table in filter nat; do
		iptables -t "$table" -S 2>/dev/null | grep -E -- '^-A ' | grep -E -- 'DOCKER|docker0|docker_gwbridge|br-[0-9a-f]{12}' |
			while read -r rule; do
				grep -qxF -- "$rule" "$YELB_DOCKERD_RUN_DIR/iptables-$table.before" && continue
				eval "iptables -t $table -D ${rule#-A }" 2>/dev/null || true
			done
		for chain in $(_yelb_docker_chains "$table"); do
			grep -qxF -- "-N $chain" "$YELB_DOCKERD_RUN_DIR/iptables-$table.before" && continue
			iptables -t "$table" -F "$chain" 2>/dev/null || true
			iptables -t "$table" -X "$chain" 2>/dev/null || true
		done
	done
	iptables -P FORWARD "$YELB_DOCKERD_FORWARD_POLICY" 2>/dev/null || true
	echo "$YELB_DOCKERD_IP_FORWARD" >/proc/sys/net/ipv4/ip_forward 2>/dev/null || true
	# Mounts the engine left behind (the default netns, overlays after a SIGKILL).
	local mount_point
	for mount_point in $(awk -v a="$YELB_DOCKERD_RUN_DIR/" -v b="$YELB_DOCKERD_DATA_ROOT/" \
		'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$mount_point" 2>/dev/null || umount -l "$mount_point" 2>/dev/null || true
	done
	rm -rf "$YELB_DOCKERD_RUN_DIR"
	YELB_DOCKERD_PID=""
	echo "e2e: stopped dockerd and removed its bridges and iptables rules"
}
