# ionoquake: `make demo` and `make test` are the two Quick start commands of the README.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,orbits,insitu,api
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,

.PHONY: demo test lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/ionoquake demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	scripts/with-postgres.sh $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[$(EXTRAS),bench]"
	$(BIN)/python benchmarks/bench_ionex.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
