# Two commands matter: `make synth` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: synth test lint typecheck bench modules clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	$(BIN)/python -m metaflow_blueprints.export.hcl --install
	touch $(STAMP)

synth: $(STAMP)
	$(BIN)/python -m stacks
	@ls -1 $${CDKTF_OUTDIR:-cdktf.out}/stacks/*/cdk.tf*

lint: $(STAMP)
	$(BIN)/ruff check constructs tests stacks benchmarks examples
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/synth_speed.py

modules: $(STAMP)
	$(BIN)/metaflow-blueprints modules --out modules

clean:
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache
