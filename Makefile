# Two entry points for a new user: `make demo` (check the bundled demo app) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench clean vscode-e2e-deps vscode-test mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/flash-ls check fixtures/apps/demo || echo "(flash-ls exited $$?: the demo app has these mistakes on purpose)"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# What tests/e2e/test_vscode.py needs (it skips without them, fails with FLASH_LS_E2E=1): Debian's
# Chromium, code-server (npm registry; cached, installed once), playwright-core and the .vsix.
CODE_SERVER_DIR ?= $(HOME)/.cache/flash-ls/code-server-4.100.3
vscode-e2e-deps:
	command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
	bash vscode-client/e2e/install-code-server.sh $(CODE_SERVER_DIR)
	cd vscode-client/e2e && npm ci --no-audit --no-fund
	cd vscode-client && npm ci --no-audit --no-fund && npm run package

# The extension's type check and unit tests (node's test runner; no VS Code needed).
vscode-test:
	cd vscode-client && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run typecheck && npm test

# Mutation testing of the rule modules (the long mode, not part of .ci/run; docs/reliability.md):
# `make mutation`, or `make mutation MODULES="identity routes" JOBS=1`.
MODULES ?=
JOBS ?= 2
MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	touch $(MUTATION_STAMP)
mutation: $(MUTATION_STAMP)
	$(BIN)/python tests/mutation/run.py --jobs $(JOBS) $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
