#!/usr/bin/env bash
# End-to-end proof of the Docker images and the compose deployment, in a real
# Docker engine (`make e2e-compose`).
#
# It walks the registry story a demoer follows: build every image with
# scripts/docker/images.sh, push them with scripts/docker/push.sh and the Helm
# chart with scripts/docker/push-chart.sh to the local registry of the compose
# `registry` profile, pull the chart back and render it, deploy from that
# registry with scripts/docker/deploy.sh and three appserver replicas, then
# checks through the UI's published port: three hostnames answer, votes count,
# votes survive a recreated yelb-db, the load generator runs with zero errors
# and Prometheus scrapes every replica. The Rancher 1.6 catalog entry then runs
# through the same docker-compose, its questions' answers as variables, and
# takes a vote; on an engine of its own, the Swarm stack too. Everything is
# torn down at the end.
#
# What cannot run here is replaced, and only that: no public registry is
# reachable, so the base images (python, nginx, postgres, redis, registry,
# prometheus) are test-only builds from Debian packages on a debootstrap base
# (tests/compose/e2e/images/), passed through the Dockerfiles' base-image
# build arguments, and Python packages come from wheels downloaded on the
# host. Grafana has no Debian package, so its container is not started here;
# its provisioning files are checked by tests/compose/test_monitoring.py.
#
# Environment: YELB_E2E_CACHE (default ~/.cache/yelb-e2e: debootstrap tarball,
# wheels and the engine's data root, reused by later runs), YELB_E2E_KEEP=1
# leaves the stack running for a look (the private engine still stops),
# YELB_E2E_PROJECT names the compose projects (default yelbe2e; set it on a
# shared engine to keep clear of others).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cache=${YELB_E2E_CACHE:-$HOME/.cache/yelb-e2e}
export YELB_E2E_CACHE=$cache
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || python=python3
started=$(date +%s)
# shellcheck source=tests/compose/e2e/dockerd.sh
. "$here/dockerd.sh"
# The release version and the public registry, as the image scripts name them.
# shellcheck source=scripts/docker/common.sh
. "$root/scripts/docker/common.sh"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL - $*"; }
# check DESCRIPTION COMMAND...: one named check, counted either way.
check() {
	local description=$1
	shift
	if "$@" >/dev/null; then ok "$description"; else not_ok "$description"; fi
}
# check_equal DESCRIPTION EXPECTED COMMAND...: the command's output must be EXPECTED.
check_equal() {
	local description=$1 expected=$2 actual
	shift 2
	actual=$("$@" 2>&1) || true
	if [ "$actual" = "$expected" ]; then ok "$description"; else not_ok "$description: expected '$expected', got '$actual'"; fi
}
step() { echo "--- [$(($(date +%s) - started))s] $*"; }

free_port() {
	"$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ui_port=$(free_port)
registry_port=$(free_port)
prometheus_port=$(free_port)
rancher_ui_port=$(free_port)
tag=e2e
push_registry=127.0.0.1:$registry_port/yelb

export COMPOSE_PROJECT_NAME=${YELB_E2E_PROJECT:-yelbe2e}
rancher_project=$COMPOSE_PROJECT_NAME-rancher16
rancher_compose=$root/deployments/rancher/v1.6/templates/yelb/0/docker-compose.yml
export COMPOSE_FILE=$root/docker-compose.yml
export COMPOSE=docker-compose
export DOCKER_BUILDKIT=0
# The compose file's knobs, pointed at this machine.
export YELB_UI_ADDRESS=127.0.0.1 YELB_UI_PORT=$ui_port
export YELB_REGISTRY_PORT=$registry_port YELB_REGISTRY_IMAGE=yelb-e2e/registry
export YELB_MONITORING_ADDRESS=127.0.0.1 YELB_PROMETHEUS_PORT=$prometheus_port
export YELB_PROMETHEUS_IMAGE=yelb-e2e/prometheus
all_profiles=(--profile registry --profile loadgen --profile monitoring)

work=$(mktemp -d /tmp/yelb-e2e.XXXXXX)
cleanup() {
	local status=$?
	set +e
	if [ -n "${swarm_stack:-}" ]; then
		docker stack rm "$swarm_stack" >/dev/null
		wait_for 30 test -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$swarm_stack")"
		docker volume ls -q --filter "label=com.docker.stack.namespace=$swarm_stack" | xargs -r docker volume rm >/dev/null
		docker swarm leave --force >/dev/null
	fi
	if yelb_docker_answers; then
		if [ "${YELB_E2E_KEEP:-}" = 1 ] && [ -z "$YELB_DOCKERD_PID" ]; then
			echo "e2e: YELB_E2E_KEEP=1, stacks left running (projects $COMPOSE_PROJECT_NAME, $rancher_project)"
		else
			if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
				docker-compose "${all_profiles[@]}" ps
				docker-compose "${all_profiles[@]}" logs --no-color --tail 30
				rancher_compose ps
				rancher_compose logs --no-color --tail 30
			fi
			rancher_compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1
			docker-compose "${all_profiles[@]}" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1
			# The kept data root holds built images for the next run, not this run's registry names.
			docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$push_registry/" | xargs -r docker rmi >/dev/null 2>&1
			# Dangling layers of earlier builds; on a shared engine they may be someone else's.
			if [ -n "$YELB_DOCKERD_PID" ]; then docker image prune --force >/dev/null 2>&1; fi
		fi
	fi
	yelb_dockerd_stop
	rm -rf "$work"
	echo "e2e: took $(($(date +%s) - started))s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# http PATH [METHOD]: body of a request to the UI's published port.
http() {
	curl -fsS --max-time 5 -X "${2:-GET}" "http://127.0.0.1:$ui_port$1"
}
json() { # EXPRESSION: evaluates a Python expression over the JSON on stdin (as j)
	"$python" -c "import json, sys; j = json.load(sys.stdin); print($1)"
}
wait_for() { # SECONDS COMMAND...: retries until the command succeeds
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 1
	done
}
votes() { http /api/getvotes | json '",".join("%s=%s" % (v["name"], v["value"]) for v in j)'; }
# The Rancher 1.6 catalog entry through docker-compose: each question's default
# answer as a variable, as Rancher interpolates it, then the given answers.
rancher_compose() {
	local answers
	# One NAME=value line per question; a default may hold spaces (the question text).
	mapfile -t answers < <("$python" -c 'import sys, yaml
for question in yaml.safe_load(open(sys.argv[1]))["catalog"]["questions"]:
    print("%s=%s" % (question["variable"], question["default"]))' "${rancher_compose%/*}/rancher-compose.yml")
	env "${answers[@]}" \
		YELB_REGISTRY="$push_registry" YELB_TAG="$tag" YELB_UI_PORT="$rancher_ui_port" \
		docker-compose --project-name "$rancher_project" --file "$rancher_compose" "$@"
}

step "Docker engine"
yelb_dockerd_start "$cache/docker"

step "test-only base images and make images (build-images.sh)"
# Fixed before the build: other commits may land while it runs.
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
REVISION=$revision "$here/build-images.sh" >"$work/images.log" 2>&1 || {
	cat "$work/images.log"
	exit 1
}
for name in $YELB_IMAGES; do
	image=$YELB_PUBLIC_REGISTRY/$name:$YELB_VERSION
	check "$name image runs as a non-root user" \
		test -n "$(docker image inspect --format '{{.Config.User}}' "$image" | grep -v -x -E 'root|0(:0)?')"
	check_equal "$name image carries the OCI revision label" "$revision" \
		docker image inspect --format '{{ index .Config.Labels "org.opencontainers.image.revision" }}' "$image"
done
for name in yelb-appserver yelb-ui yelb-db; do
	check "$name image has a HEALTHCHECK" \
		test -n "$(docker image inspect --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' "$YELB_PUBLIC_REGISTRY/$name:$YELB_VERSION")"
done

step "compose build: sections work from a clone"
NGINX_IMAGE=yelb-e2e/nginx POSTGRES_IMAGE=yelb-e2e/postgres \
	check "docker-compose build yelb-ui yelb-db" \
	docker-compose build --quiet yelb-ui yelb-db

step "local registry (profile registry), make push (scripts/docker/push.sh), make push-chart"
docker-compose --profile registry up -d registry >/dev/null 2>&1
check "registry answers on 127.0.0.1:$registry_port" \
	wait_for 30 curl -fsS "http://127.0.0.1:$registry_port/v2/"
# The test-only Redis under the name push.sh looks for first.
docker tag yelb-e2e/redis "$push_registry/redis:$YELB_REDIS_TAG"
YELB_REGISTRY=$push_registry YELB_TAG=$tag "$root/scripts/docker/push.sh" >"$work/push.log" 2>&1 || {
	cat "$work/push.log"
	exit 1
}
YELB_REGISTRY=$push_registry PYTHON=$python "$root/scripts/docker/push-chart.sh" >"$work/push-chart.log" 2>&1 || {
	cat "$work/push-chart.log"
	exit 1
}
catalog=$(curl -fsS "http://127.0.0.1:$registry_port/v2/_catalog")
check "registry holds the five image repositories and the chart ($catalog)" \
	test "$(echo "$catalog" | json 'sorted(j["repositories"])')" = \
	"['yelb/charts/yelb', 'yelb/redis', 'yelb/yelb-appserver', 'yelb/yelb-db', 'yelb/yelb-loadgen', 'yelb/yelb-ui']"
# push-chart.sh's last line: ==> oci://<registry>/charts/yelb:<version> (sha256:...)
chart_ref=$(sed -n 's/^==> \(oci:[^ ]*\) .*$/\1/p' "$work/push-chart.log")
chart_digest=$(sed -n 's/^==> .*(\(sha256:[0-9a-f]*\))$/\1/p' "$work/push-chart.log")
if "$python" "$here/pulled_chart.py" "$chart_ref" "$chart_digest" "$root/deployments/helm/yelb" \
	"$push_registry" "$tag" "$work/chart" >"$work/pulled-chart.log" 2>&1; then
	ok "the chart pulled back from the registry is the one pushed, its images from there: $(cat "$work/pulled-chart.log")"
else
	not_ok "the chart pulled back from the registry: $(cat "$work/pulled-chart.log")"
fi
# Nothing of the pushed names stays local: the deployment has to pull.
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$push_registry/" | xargs -r docker rmi >/dev/null

step "make deploy-registry (scripts/docker/deploy.sh) with three appservers"
YELB_REGISTRY=$push_registry YELB_TAG=$tag "$root/scripts/docker/deploy.sh" --scale yelb-appserver=3 >"$work/deploy.log" 2>&1 || {
	cat "$work/deploy.log"
	exit 1
}
check "deploy pulled the appserver image from the registry" \
	docker image inspect --format '{{.Id}}' "$push_registry/yelb-appserver:$tag"
check "the UI answers /api/getvotes through its published port" wait_for 60 http /api/getvotes
check "three appserver containers run" test "$(docker-compose ps -q yelb-appserver | wc -l)" -eq 3
check "the page is served" sh -c "curl -fsS http://127.0.0.1:$ui_port/ | grep -qi '<html'"
check_equal "a fresh deployment starts with zero votes" "outback=0,bucadibeppo=0,ihop=0,chipotle=0" votes

three_hostnames() { # among 60 requests through the UI
	local _
	test "$(for _ in $(seq 1 60); do http /api/hostname; echo; done | sort -u | grep -c .)" -eq 3
}
check "the UI reaches all three replicas (distinct hostnames in 60 requests)" wait_for 20 three_hostnames
api_revision() { http /api/version | json 'j["revision"]'; }
check_equal "the appserver reports the revision it was built from" "$revision" api_revision
check "page views are counted in Redis" \
	test "$(http /api/getstats | json 'isinstance(j["pageviews"], int) and j["pageviews"] > 0')" = True

for _ in 1 2 3; do http /api/votes/ihop POST >/dev/null; done
http /api/chipotle >/dev/null
http /api/chipotle >/dev/null
check_equal "votes through the new and the original API are counted" "outback=0,bucadibeppo=0,ihop=3,chipotle=2" votes

step "yelb-db restarted, then recreated: votes live on the named volume"
db_healthy() {
	test "$(docker inspect --format '{{.State.Health.Status}}' "$(docker-compose ps -q yelb-db)")" = healthy
}
votes_kept() { test "$(votes)" = "outback=0,bucadibeppo=0,ihop=3,chipotle=2"; }
docker-compose restart yelb-db >/dev/null 2>&1
check "yelb-db is healthy after a restart" wait_for 60 db_healthy
wait_for 30 votes_kept || true
check_equal "votes survive the restart" "outback=0,bucadibeppo=0,ihop=3,chipotle=2" votes
docker-compose up -d --no-deps --force-recreate yelb-db >/dev/null 2>&1
check "yelb-db is healthy in a new container" wait_for 60 db_healthy
wait_for 30 votes_kept || true
check_equal "votes survive the new yelb-db container" "outback=0,bucadibeppo=0,ihop=3,chipotle=2" votes
vote_outback() { http /api/votes/outback POST | json 'j["value"]'; }
check_equal "votes count again after both" 1 vote_outback

step "hardening of the running containers"
for service in yelb-ui yelb-appserver redis-server yelb-db; do
	container=$(docker-compose ps -q "$service" | sed -n 1p)
	check "$service runs with a read-only root file system" \
		test "$(docker inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$container")" = true
	check "$service runs as a non-root user" test "$(docker exec "$container" id -u)" != 0
done
# The original Yelb deployment files send traffic to the UI's port 80.
ui_container=$(docker-compose ps -q yelb-ui | sed -n 1p)
check "the UI, non-root, also answers on the original's port 80" \
	docker exec "$ui_container" curl -fsS -o /dev/null http://127.0.0.1:80/healthz

step "load generator (profile loadgen), a few seconds"
docker-compose --profile loadgen run -T --rm --no-deps loadgen \
	--users 10 --spawn-rate 10 --run-time 8s --think-time 0.1-0.3 --only-summary >"$work/loadgen.log" 2>&1 &&
	loadgen_status=0 || loadgen_status=$?
# The summary is one flat JSON object; locust's own log may follow on the line.
summary=$(sed -n 's/^.*yelb-loadgen-json: \({[^}]*}\).*$/\1/p' "$work/loadgen.log")
check "loadgen exits 0" test "$loadgen_status" -eq 0
[ "$loadgen_status" -eq 0 ] || tail -n 20 "$work/loadgen.log"
check "loadgen made requests with zero failures (${summary:-no summary})" \
	test "$(echo "${summary:-null}" | json 'bool(j) and j["requests"] > 0 and j["failures"] == 0')" = True

step "Prometheus (profile monitoring) scrapes every appserver"
docker-compose --profile monitoring up -d --no-deps prometheus >/dev/null 2>&1
targets_up() {
	test "$(curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/targets" |
		json 'sum(1 for t in j["data"]["activeTargets"] if t["labels"]["job"] == "yelb-appserver" and t["health"] == "up")')" -eq 3
}
check "three yelb-appserver targets are up" wait_for 60 targets_up
check "the Yelb alert rules are loaded" \
	test "$(curl -fsS "http://127.0.0.1:$prometheus_port/api/v1/rules" | json 'len(j["data"]["groups"]) > 0')" = True

step "compose down leaves nothing running"
docker-compose "${all_profiles[@]}" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1
check_equal "no container of the project is left" "" docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"

step "Rancher 1.6 catalog entry through docker-compose, from the registry"
# Rancher's own parts are not modelled: rancher-compose.yml's scale and health
# checks, its scheduler labels and its volume drivers beyond local.
rancher_compose up -d >"$work/rancher.log" 2>&1 || cat "$work/rancher.log"
rancher_http() { curl -fsS --max-time 5 -X "${2:-GET}" "http://127.0.0.1:$rancher_ui_port$1"; }
check "the Rancher 1.6 stack runs the four tiers from $push_registry" \
	test "$(rancher_compose images -q 2>/dev/null | wc -l)" -eq 4
check_equal "the Rancher 1.6 Redis comes from the registry too" "$push_registry/redis:$YELB_REDIS_TAG" \
	docker inspect --format '{{.Config.Image}}' "$(rancher_compose ps -q redis-server)"
# No start order in the file (Rancher's health checks gate nothing either): the
# appserver answers 503 until yelb-db accepts connections.
check "the Rancher 1.6 UI serves votes once yelb-db is up" wait_for 90 rancher_http /api/getvotes
check "the Rancher 1.6 UI serves the page" sh -c "curl -fsS http://127.0.0.1:$rancher_ui_port/ | grep -qi '<html'"
rancher_vote() { rancher_http /api/votes/bucadibeppo POST | json 'j["value"]'; }
check_equal "a vote through the Rancher 1.6 UI counts" 1 rancher_vote
rancher_votes() { rancher_http /api/getvotes | json '",".join("%s=%s" % (v["name"], v["value"]) for v in j)'; }
check_equal "and reads back" "outback=0,bucadibeppo=1,ihop=0,chipotle=0" rancher_votes
rancher_compose down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1
check_equal "no container of the Rancher 1.6 project is left" "" docker ps -aq --filter "label=com.docker.compose.project=$rancher_project"

step "Swarm stack (deployments/swarm/docker-stack.yml), same images"
# Only on the engine this script started: swarm mode changes an engine.
# This kernel has no IPVS, so the routing mesh cannot publish the UI port;
# the UI is checked from inside one of its tasks instead.
if [ -n "$YELB_DOCKERD_PID" ]; then
	docker swarm init --advertise-addr 127.0.0.1 >/dev/null
	swarm_stack=yelbswarm
	YELB_REGISTRY=$push_registry YELB_TAG=$tag \
		docker stack deploy --resolve-image never -c "$root/deployments/swarm/docker-stack.yml" "$swarm_stack" >/dev/null
	converged() {
		test -z "$(docker service ls --filter "label=com.docker.stack.namespace=$swarm_stack" --format '{{.Replicas}}' |
			grep -v -x -E '([0-9]+)/\1')"
	}
	check "every swarm service reaches its replica count" wait_for 120 converged
	check_equal "the appserver service runs three replicas" "3/3" \
		docker service ls --filter "name=${swarm_stack}_yelb-appserver" --format '{{.Replicas}}'
	ui_task=$(docker ps -q --filter "label=com.docker.swarm.service.name=${swarm_stack}_yelb-ui" | sed -n 1p)
	in_ui() { docker exec "$ui_task" curl -fsS --max-time 5 "$@"; }
	swarm_hostnames() {
		local _
		test "$(for _ in $(seq 1 60); do in_ui http://127.0.0.1:8080/api/hostname; echo; done | sort -u | grep -c .)" -eq 3
	}
	check "the swarm UI reaches all three appserver replicas" wait_for 60 swarm_hostnames
	# Swarm has no start order: the appservers answer 503 until yelb-db is up.
	reads_everywhere() { # nine reads in a row, spread over the replicas
		local _
		for _ in $(seq 1 9); do in_ui http://127.0.0.1:8080/api/getvotes || return 1; done
	}
	check "the swarm stack serves votes once yelb-db is up" wait_for 60 reads_everywhere
	swarm_vote() { in_ui -X POST http://127.0.0.1:8080/api/votes/ihop | json 'j["value"]'; }
	check_equal "a vote counts in the swarm stack" 1 swarm_vote
else
	echo "e2e: skipped, the Docker engine is not this script's own"
fi

echo "e2e-compose: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
