# The two quick-start commands: `make demo` (the benchmark on its built-in default) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint clean

$(BIN)/h2ot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel; a bare `torch` would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/h2ot

setup: $(BIN)/h2ot

demo: setup
	$(BIN)/h2ot bench mixste hot-mixste h2ot-mixste

test: setup
	$(BIN)/ruff check h2ot tests
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check h2ot tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
