# Two commands set everything up: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck tmux postgres bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/cosell-tui --demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The real-terminal test drives the app in tmux; CI machines run as root and can install it.
tmux:
	@command -v tmux >/dev/null || { apt-get update -qq && apt-get install -y -qq tmux >/dev/null; }

# Three workers on two cores: a fifth of the suite waits (on tmux, on Pilot's pauses), and
# work stealing keeps the slow wizard flows from leaving a worker idle at the end.
# A full run (no PYTEST_ARGS) records its wall time since make started, set-up and static
# checks included, for `make bench` (issue 6); the tests' exit status is kept.
MAKE_STARTED := $(shell date +%s)
# The PostgreSQL tests (issue 8) start their own throwaway server from Debian's package.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

test: lint typecheck tmux postgres
	@echo $(BIN)/pytest -n 3 --dist worksteal $(PYTEST_ARGS)
	@$(BIN)/pytest -n 3 --dist worksteal $(PYTEST_ARGS); status=$$?; \
	if [ -z "$(PYTEST_ARGS)" ]; then mkdir -p bench/.cache && \
	  printf '{"seconds": %d, "date": "%s", "exit": %d}\n' $$(( $$(date +%s) - $(MAKE_STARTED) )) \
	    "$$(date '+%Y-%m-%d %H:%M')" $$status > bench/.cache/make-test.json; fi; \
	exit $$status

# Every figure of issue 6 in tmux against a bare Textual app, on a cached 100 000-deal demo
# database (built and timed on first use): launch, key → frame, memory, demo build, make test.
# BENCH_ARGS="--deals 1000000" for the launch and filter figures of the larger one.
bench: $(STAMP) tmux
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
