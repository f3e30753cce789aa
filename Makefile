# The two quick-start commands: `make demo` (the example video to 3D poses) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint clean

$(BIN)/h2ot: pyproject.toml h2ot/viz/js/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU wheel; a bare `torch` would pull several GB of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,video,onnx]'
	npm ci --prefix h2ot/viz/js --silent  # three.js for the HTML viewer (h2ot/viz/viewer.py)
	touch $(BIN)/h2ot

setup: $(BIN)/h2ot

demo: setup
	$(BIN)/h2ot video examples/pose2sim_single_cam01.mp4 --out h2ot-out/demo --force --bvh --trc

test: setup
	$(BIN)/ruff check h2ot tests tools
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check h2ot tests tools

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
