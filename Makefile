# Folio: `make run` opens the app, `make test` runs every test. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := run

CARGO ?= cargo
APP := target/debug/folio-app
CLI := target/debug/folio
UI_STAMP := ui/node_modules/.folio-installed
E2E_STAMP := tests/e2e/node_modules/.folio-installed

.PHONY: run test deps deps-test models ui app cli test-rust test-ui test-e2e fixtures real-fixtures bench-render bench-search bench-ui clean

run: deps models app
	$(APP) $(ARGS)

deps:
	@scripts/deps.sh

deps-test:
	@scripts/deps.sh --test

models:
	@python3 models/fetch.py

$(UI_STAMP): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

$(E2E_STAMP): tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
	@touch $@

ui: $(UI_STAMP)
	cd ui && npm run build

app: ui
	$(CARGO) build -p folio-app -p folio-cli

cli:
	$(CARGO) build -p folio-cli

test: deps-test models app test-rust test-ui test-e2e

test-rust: models real-fixtures
	if command -v cargo-nextest >/dev/null; then $(CARGO) nextest run --workspace --no-fail-fast; else $(CARGO) test --workspace; fi

test-ui: $(UI_STAMP)
	cd ui && npx vitest run

test-e2e: app $(E2E_STAMP)
	FOLIO_APP=$(CURDIR)/$(APP) tests/e2e/run.sh

# Regenerates the committed fixtures (needs network for pypdf and Pillow).
fixtures:
	python3 -m venv target/fixtures-venv && target/fixtures-venv/bin/pip install -q pypdf pillow
	target/fixtures-venv/bin/python tests/fixtures/generate.py

real-fixtures:
	tests/fixtures/fetch-real.sh

# Renders every page of a 1,611-page manual with and without the recycling policy, side by side.
bench-render: models real-fixtures
	$(CARGO) build --release -p folio-cli
	scripts/bench-render.sh tests/fixtures/real/source3.pdf

# Search latency over 100,000 chunks (source3.pdf's text, generated vectors): p50/p99 per mode.
bench-search: models real-fixtures
	$(CARGO) run --release -p folio-engine --example search_bench -- tests/fixtures/real/source3.pdf 100000 100

# The overlay's draw time on a page of 1,000 lines, timed in the real window (the spec also runs in test-e2e).
bench-ui: app $(E2E_STAMP)
	FOLIO_APP=$(CURDIR)/$(APP) tests/e2e/run.sh --spec specs/overlay-bench.e2e.js

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules tests/e2e/node_modules
