# Two commands set everything up: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck tmux bench clean

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
test: lint typecheck tmux
	$(BIN)/pytest -n 3 --dist worksteal $(PYTEST_ARGS)

# Launch figures in tmux against a bare Textual app, on a cached 100 000-deal demo database
# (built and timed on first use); BENCH_ARGS="--deals 1000000 --runs 3" for the larger one.
bench: $(STAMP) tmux
	$(BIN)/python -m bench.launch $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
