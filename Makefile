# ionoquake: `make demo` and `make test` are the two Quick start commands of the README.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev,orbits,insitu,api,browser,seismo,csep,scale,gnss,fast,plan
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,

.PHONY: demo test lint bench clean venv assets

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: $(STAMP)
	$(BIN)/ionoquake demo

test: $(STAMP)
	scripts/system-deps.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	scripts/with-postgres.sh $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[$(EXTRAS),bench]"
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Front-end assets (Leaflet from npm) copied into the package; the result is committed, so
# neither the demo nor the tests need npm.
STATIC := src/ionoquake/service/static
assets:
	cd frontend && npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p $(STATIC)/vendor/leaflet/images
	cp frontend/node_modules/leaflet/dist/leaflet.js frontend/node_modules/leaflet/dist/leaflet.css \
	   frontend/node_modules/leaflet/LICENSE $(STATIC)/vendor/leaflet/
	cp frontend/node_modules/leaflet/dist/images/*.png $(STATIC)/vendor/leaflet/images/
	mkdir -p $(STATIC)/vendor/swagger-ui
	cp frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   frontend/node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt \
	   frontend/node_modules/swagger-ui-dist/swagger-ui.css \
	   frontend/node_modules/swagger-ui-dist/favicon-32x32.png \
	   frontend/node_modules/swagger-ui-dist/LICENSE frontend/node_modules/swagger-ui-dist/NOTICE \
	   $(STATIC)/vendor/swagger-ui/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
