# Two commands matter: `make synth` and `make test`. Both create their virtualenvs on first use.
# Two frameworks, one library: .venv runs on cdktf (CDK for Terraform; `make synth` uses it),
# .venv-cdktn on CDK Terrain (cdktn). `make test` = lint + the suite on each.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CDKTN_VENV := .venv-cdktn
CDKTN_BIN := $(CDKTN_VENV)/bin
CDKTN_STAMP := $(CDKTN_VENV)/.installed
PIP := pip install --quiet --disable-pip-version-check

.PHONY: venvs synth synth-cdktn test test-cdktf test-cdktn lint typecheck bench modules clean

# $(call make-venv,DIR,EXTRA): a venv with the library (editable) on one framework, plus the
# test tools; then jsii's package cache is warmed (runtime indexes of the provider assemblies,
# see metaflow_blueprints/jsii_cache.py) so that no later process pays a full assembly parse.
define make-venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/$(PIP) --upgrade pip==25.3
	$(1)/bin/$(PIP) -e ".[$(2),test]"
	$(1)/bin/python -m metaflow_blueprints.jsii_cache
endef

$(STAMP): pyproject.toml
	$(call make-venv,$(VENV),cdktf)
	$(BIN)/python -m metaflow_blueprints.export.hcl --install
	touch $(STAMP)

$(CDKTN_STAMP): pyproject.toml
	$(call make-venv,$(CDKTN_VENV),cdktn)
	touch $(CDKTN_STAMP)

# Both venvs; independent, so `make -j2 venvs` builds them side by side (.ci/run does).
venvs: $(STAMP) $(CDKTN_STAMP)

synth: $(STAMP)
	$(BIN)/python -m stacks
	@ls -1 $${CDKTF_OUTDIR:-cdktf.out}/stacks/*/cdk.tf*

# export/hcl_tools (installed by the cdktf venv's step) is shared by both venvs.
synth-cdktn: $(STAMP) $(CDKTN_STAMP)
	$(CDKTN_BIN)/python -m stacks
	@ls -1 cdktf.out/stacks/*/cdk.tf.json

lint: $(STAMP)
	$(BIN)/ruff check constructs tests stacks benchmarks examples
	$(BIN)/mypy

# venvs first: the cdktf suite also synthesizes with .venv-cdktn (cross-framework test).
# The two suites run side by side (-j2; -O prints each one's output when it ends): one suite
# keeps about one core busy, waiting on Node.js, checkov and Terraform the rest of the time.
# `make test-cdktf test-cdktn` runs them one after the other.
test: venvs lint
	@$(MAKE) --no-print-directory -j2 -O test-cdktf test-cdktn

test-cdktf: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-cdktn: $(STAMP) $(CDKTN_STAMP)
	$(CDKTN_BIN)/python -m pytest -q -p no:cacheprovider

# One run, every framework whose venv exists (see benchmarks/synth_speed.py).
bench: $(STAMP) $(CDKTN_STAMP)
	$(BIN)/python benchmarks/synth_speed.py

modules: $(STAMP)
	$(BIN)/metaflow-blueprints modules --out modules
	$(BIN)/python -m metaflow_blueprints.export.docs docs/export.md

clean:
	rm -rf cdktf.out .pytest_cache .mypy_cache .ruff_cache
