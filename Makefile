# Two set-up commands (README): `make demo` and `make test`.  Both bootstrap
# a virtual environment in .venv and install the hub into it first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench sbom lock clean

UV_VERSION := 0.13.9
# pytest worker processes for `make test` (pytest-xdist; 0 runs the suite in this process).
# Two, one per core of the reference machine: the suite took ≈ 16 min in one process, ≈ 9.5 min
# in two.  A module's tests stay together in one worker (--dist loadscope), so module fixtures
# are built once and the tests of a module run in their order, as in one process.
TEST_WORKERS ?= 2

# Dependencies come from uv.lock (every file pinned by version and SHA-256, checked on
# install); pyproject.toml stays the source: `uv lock` regenerates the lock after a change,
# and --locked refuses a lock that no longer matches pyproject.toml.
$(STAMP): pyproject.toml setup.py uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'uv==$(UV_VERSION)'
	UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(BIN)/uv sync --quiet --locked --inexact \
		--all-extras --python $(BIN)/python
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hub demo

test: $(STAMP)
	$(BIN)/ruff check hub connectors catalog tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check hub connectors catalog tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# CycloneDX SBOM (JSON) of the installed environment: every package with version, licence and hashes
sbom: $(STAMP)
	$(BIN)/cyclonedx-py environment $(BIN)/python --output-format JSON --output-file sbom.cdx.json
	@echo "wrote sbom.cdx.json"

lock:
	$(BIN)/uv lock

bench: $(STAMP)
	@echo "see BENCHMARKS.md for each benchmark's command"

clean:
	rm -rf $(VENV) .hub .pytest_cache .mypy_cache .ruff_cache
