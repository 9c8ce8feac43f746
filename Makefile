# Yelb: the two commands of the README are `make run` and `make test`.
.DEFAULT_GOAL := help
PYTEST_ARGS ?=

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

run: ## run Yelb in one process on http://localhost:4567 (embedded SQLite store, no services)
	@scripts/bootstrap run
	YELB_UI_DIR=$(CURDIR)/yelb-ui/public .venv/bin/yelb-appserver

test: ## run the whole test suite (installs what it needs first)
	@scripts/bootstrap test
	.venv/bin/pytest $(PYTEST_ARGS)

bench: ## benchmark the appserver with wrk against real PostgreSQL and Redis
	@scripts/bootstrap test
	.venv/bin/python bench/appserver_bench.py

test-ui: ## run the UI tests: Chromium against the appserver and through the nginx front
	@scripts/bootstrap test
	.venv/bin/pytest tests/ui $(PYTEST_ARGS)

test-deployments: ## render, validate and checkov the Kubernetes/Helm/Rancher files; the cross-deployment contract
	@scripts/bootstrap test
	.venv/bin/pytest tests/deployments $(PYTEST_ARGS)

render-k8s: ## regenerate deployments/kubernetes/yelb.yaml from the Kustomize base
	kubectl kustomize deployments/kubernetes/base > deployments/kubernetes/yelb.yaml
