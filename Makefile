# Ponte — developer entry points. `make dev` runs the local stack, `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Python 3.13 (the Lambda runtime): pyenv's install when present, else one on PATH.
PY313  ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null))
REGION ?= us-east-1
# pytest-xdist workers for `make test`/`make fuzz` (0: one process). Tests are handed out a
# file at a time (--dist loadfile): a module's stack fixtures (test_readme's `make dev`) stay
# in one worker. Three on two cores: a worker waiting on a workflow or a subprocess leaves
# its core to the others.
PYTEST_WORKERS ?= 3
# The versions installed, tested together (`make lock` rewrites the file).
LOCK   := constraints-dev.txt
export SAM_CLI_TELEMETRY := 0
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv lock dev test test-unit lint typecheck validate statelint browser unit build bench fuzz openapi clean

help:
	@echo "make dev    - run the local stack on http://127.0.0.1:$${PONTE_PORT:-3000} (no Docker)"
	@echo "make test   - create the venv if missing, then ruff, mypy, sam validate --lint, statelint, pytest"
	@echo "make test-unit - the unit tests only (seconds)"
	@echo "make build  - sam build (no container)"
	@echo "make bench  - print the benchmark figures"
	@echo "make fuzz   - a long run of the hostile-request suite (PONTE_FUZZ_EXAMPLES per surface)"
	@echo "make lock   - resolve pyproject.toml's ranges afresh into constraints-dev.txt"
	@echo "make openapi - write each API's OpenAPI 3.1 document to docs/openapi/"

# uv installs the locked set in ~15 s where pip takes ~100 s on two cores; pip is the
# fallback where uv cannot be had.
$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PY313)" || { echo "Python 3.13 not found (pyenv install 3.13 or put python3.13 on PATH)"; exit 1; }
	@test -x $(BIN)/python || $(PY313) -m venv $(VENV)
	{ $(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python -c $(LOCK) -e '.[dev]'; } \
	|| $(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(LOCK) -e '.[dev]'
	@touch $(STAMP)

# Resolve pyproject.toml's ranges afresh (pip, in a scratch venv) and pin the result.
lock:
	@test -n "$(PY313)" || { echo "Python 3.13 not found"; exit 1; }
	rm -rf .venv-lock && $(PY313) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ sed -n '/^#/p' $(LOCK); .venv-lock/bin/python -m pip freeze --exclude-editable; } > $(LOCK).new
	mv $(LOCK).new $(LOCK) && rm -rf .venv-lock

venv: $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m devstack

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/sam validate --lint --region $(REGION)

# Every state machine of the template, substitutions filled in, through statelint.
statelint: $(STAMP)
	$(BIN)/python -m statemachines.lint

# Page tests drive Debian's chromium headless (Playwright, no browser download): installed
# here when absent and running as root (CI), else a message naming the package.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }; \
	  else \
	    echo "make test needs a headless browser: install Debian's chromium package (sudo apt-get install chromium)"; exit 1; \
	  fi; }

# The whole suite records every AWS call each function makes; then each function's IAM
# policy in the template is checked against them (least privilege: devstack/privilege.py).
CALL_LOG_DIR := $(abspath .pytest-calls)
unit: $(STAMP) browser
	rm -rf $(CALL_LOG_DIR)
	PONTE_CALL_LOG_DIR=$(CALL_LOG_DIR) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile
	$(BIN)/python -m devstack.privilege $(CALL_LOG_DIR)

# The static checks run beside the suite (they fill the moments its workers wait); any
# failure fails `make test`. No output sync: pytest's progress (and a hang's stack dump)
# shows as it happens, not when pytest ends.
test: $(STAMP) browser
	@$(MAKE) --no-print-directory -j 5 lint typecheck validate statelint unit

# The pure rules only (no AWS, no browser): seconds, for the edit-test loop.
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

build: $(STAMP)
	$(BIN)/sam build

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

# The fuzz suite of `make test`, longer: it prints requests tried and failures at the end.
fuzz: $(STAMP)
	PONTE_FUZZ_PROFILE=fuzz PONTE_SCHEMATHESIS_EXAMPLES=$${PONTE_SCHEMATHESIS_EXAMPLES:-100} \
	  $(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests/integration/fuzz -p no:cacheprovider \
	  -o faulthandler_timeout=0  # its long cases are meant to run past 5 minutes

# Each API's OpenAPI document, generated from the handlers (a test checks the committed copies).
openapi: $(STAMP)
	$(BIN)/python -m openapi docs/openapi

clean:
	rm -rf .aws-sam .pytest-calls .pytest_cache .mypy_cache .ruff_cache .hypothesis
