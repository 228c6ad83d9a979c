# Two commands matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run test setup fonts lint typecheck compose-check test-sqlite test-postgres bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

## Make sure a Chinese font for certificate faces is installed (Debian's fonts-noto-cjk).
fonts:
	bash scripts/fonts.sh

## Start the service on SQLite (./data) with the demo catalogue and demo users.
run: setup fonts
	$(BIN)/approvals setup --demo
	$(BIN)/approvals serve --demo

## Lint, type-check, validate docker-compose.yml, run every test on SQLite and PostgreSQL.
test: setup lint typecheck compose-check test-sqlite test-postgres

lint: setup
	$(BIN)/ruff check approvals forms certs tests bench

typecheck: setup
	$(BIN)/mypy approvals forms certs

compose-check: setup
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	@if command -v docker-compose >/dev/null 2>&1; then APPROVALS_SECRET=validation-only docker-compose -f docker-compose.yml config -q && echo "docker-compose config: ok"; else echo "docker-compose not installed: validated against the compose-spec schema only"; fi

test-sqlite: setup fonts
	APPROVALS_TEST_DB=sqlite $(BIN)/pytest -q

# Skips loudly without a server, unless APPROVALS_REQUIRE_POSTGRES=1 (CI), where it fails.
test-postgres: setup fonts
	APPROVALS_TEST_DB=postgres $(BIN)/pytest -q tests/integration tests/e2e tests/browser

## Benchmarks (real server processes, wrk); prints the table that goes in the README.
bench: setup
	@command -v wrk >/dev/null 2>&1 || (apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk))
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache tests/artifacts
