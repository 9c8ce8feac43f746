# Yelb: the two commands of the README are `make run` and `make test`.
.DEFAULT_GOAL := help
# Every target is a command, not a file: `make bench` must run although bench/ exists.
.PHONY: help run test check bench test-ui test-deployments test-stack bench-stack stack-up \
        render-k8s demo-scale-out demo-lose-cache demo-lose-database demo-rolling-update \
        demo-registry-switch demo-fault-injection demo-live-room demo-canary test-demos test-docs \
        images push push-chart deploy-registry test-compose e2e-compose e2e-cluster e2e-nomad
PYTEST_ARGS ?=

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# Loopback unless told otherwise (make run YELB_APPSERVER_ADDRESS=0.0.0.0): on its own the
# appserver has none of the front's defences against slow or flooding clients.
YELB_APPSERVER_ADDRESS ?= 127.0.0.1
run: ## run Yelb in one process on http://127.0.0.1:4567 (embedded SQLite store, no services)
	@scripts/bootstrap run
	YELB_UI_DIR=$(CURDIR)/yelb-ui/public YELB_APPSERVER_ADDRESS=$(YELB_APPSERVER_ADDRESS) .venv/bin/yelb-appserver

# Two pytest processes side by side (tests/suite.sh says why and how they are kept apart).
test: ## run the whole test suite (installs what it needs first)
	@scripts/bootstrap test
	tests/suite.sh $(PYTEST_ARGS)

# The fast tier: needs no root, no services and no Debian packages, only Python 3 (and Node
# for the page's logic, skipped without it). Without .venv it makes one with the appserver's
# own dependencies and the test tools this tier uses, pinned in requirements-dev.txt.
CHECK_TOOLS = $(shell grep -E '^(pytest|pytest-timeout|openapi-spec-validator)==' requirements-dev.txt)
check: ## the fast tests in seconds: every appserver route in-process, the front's render script, the page's logic
	@test -x .venv/bin/pytest || { python3 -m venv .venv && .venv/bin/pip install -q -e yelb-appserver $(CHECK_TOOLS); }
	.venv/bin/pytest yelb-appserver/tests yelb-ui/tests -q -rfE $(PYTEST_ARGS)

bench: ## benchmark every endpoint against a bare Flask floor (wrk, PostgreSQL, Redis), PSS, cold start
	@scripts/bootstrap test
	.venv/bin/python bench/appserver_bench.py

test-ui: ## run the UI tests: Chromium against the appserver and through the nginx front
	@scripts/bootstrap test
	.venv/bin/pytest tests/ui $(PYTEST_ARGS)

test-deployments: ## render, validate and checkov the Kubernetes/Helm/Rancher files; the cross-deployment contract
	@scripts/bootstrap test
	.venv/bin/pytest tests/deployments $(PYTEST_ARGS)

test-stack: ## whole-stack scenarios (scale, roll, crash, outages, bad input, faults) + dashboard/alert checks
	@scripts/bootstrap test
	.venv/bin/pytest tests/stack tests/observability $(PYTEST_ARGS)

bench-stack: ## benchmark the whole stack through the nginx front with 1 and 3 appserver replicas
	@scripts/bootstrap test
	.venv/bin/python bench/stack_bench.py

stack-up: ## run the native stack (3 replicas, fault injection on) on http://127.0.0.1:8080 until Ctrl-C
	@scripts/bootstrap test
	.venv/bin/python -m stack up --replicas 3

render-k8s: ## regenerate deployments/kubernetes/yelb.yaml from the Kustomize base
	@scripts/bootstrap test
	.venv/bin/kubectl kustomize deployments/kubernetes/base > deployments/kubernetes/yelb.yaml

# Demo runbooks (demos/README.md). Each demo starts the whole stack on
# http://localhost:8080 itself (demo 5: drives the docker compose stack);
# DEMO_ARGS passes more options (e.g. --pause 0, --hold 120).
DEMO_ARGS ?=
demo = .venv/bin/python -m demos.$(1) $(DEMO_ARGS)

demo-scale-out: ## demo 1: from 1 to 3 appservers, the host strip fills with three names
	@scripts/bootstrap test
	$(call demo,scale_out)

demo-lose-cache: ## demo 2: stop Redis, votes keep working, page views unavailable, recovery
	@scripts/bootstrap test
	$(call demo,lose_cache)

demo-lose-database: ## demo 3: stop PostgreSQL, votes fail clearly and come back on their own
	@scripts/bootstrap test
	$(call demo,lose_database)

demo-rolling-update: ## demo 4: roll the appservers from release 1.0.0 to 1.1.0 under load, zero errors
	@scripts/bootstrap test
	$(call demo,rolling_update)

demo-registry-switch: ## demo 5: push the images to a private registry and redeploy (compose)
	@scripts/bootstrap test
	$(call demo,registry_switch)

demo-fault-injection: ## demo 6: one slow replica, one replica out of rotation, via /api/faults
	@scripts/bootstrap test
	$(call demo,fault_injection)

demo-live-room: ## demo 7: the speaker's question and options, the presenter view and its QR code
	@scripts/bootstrap test
	$(call demo,live_room)

demo-canary: ## demo 8: one replica in three on a new release, then promote it (or roll it back)
	@scripts/bootstrap test
	$(call demo,canary)

test-demos: ## run every native demo end to end; check the compose and kubectl commands of the runbooks
	@scripts/bootstrap test
	.venv/bin/pytest tests/demos $(PYTEST_ARGS)

test-docs: ## check the docs: links, anchors, the commands they show, the architecture diagram
	@scripts/bootstrap test
	.venv/bin/pytest tests/docs $(PYTEST_ARGS)

# Docker images and the compose deployment (deployments/registry/README.md).
# One registry knob and one tag knob, the same words as in every deployment file:
# YELB_REGISTRY=<host>/<project> (default ghcr.io/yelb-project) and YELB_TAG
# (default the release version), as make variables or in the environment
# (make hands variables given on its command line to the scripts' environment).

images: ## build every Yelb image as YELB_REGISTRY/<name>:YELB_TAG
	scripts/docker/images.sh

push: ## tag and push the built images, Redis included, to YELB_REGISTRY with YELB_TAG
	scripts/docker/push.sh

push-chart: ## package the Helm chart and push it to oci://YELB_REGISTRY/charts
	@scripts/bootstrap test
	scripts/docker/push-chart.sh

deploy-registry: ## start the compose stack from YELB_REGISTRY and YELB_TAG (pulls, never builds)
	scripts/docker/deploy.sh

test-compose: ## static checks of the Dockerfiles, compose and swarm files, yelb-db's schema
	@scripts/bootstrap test
	.venv/bin/pytest tests/compose $(PYTEST_ARGS)

e2e-compose: ## images and chart through a registry, compose x3, Rancher 1.6, swarm in a real Docker engine (root)
	@scripts/bootstrap e2e
	tests/compose/e2e/run.sh

e2e-cluster: ## every Kustomize overlay and Helm release run in a one-node stand-in cluster, votes through yelb-ui (root)
	@scripts/bootstrap e2e
	tests/cluster/run.sh

e2e-nomad: ## the Nomad job's tasks with the real images in Docker: scale 2 -> 3, hostnames rotate, votes count (root)
	@scripts/bootstrap test  # Go and the HCL sources build the stand-in
	@scripts/bootstrap e2e
	tests/nomad/e2e.sh
