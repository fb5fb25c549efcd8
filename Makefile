# gridgov: `make demo` sets everything up and serves the demo city on
# http://127.0.0.1:8000; `make test` installs what the tests need and runs them.

SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv
# uv uses the system Python (3.11+) and never downloads one.
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test install install-test system system-test python assets lint pytest bench bench-cli test-qgis bench-kmeans bench-maps bench-tipg bench-cql2 \
	serve down clean

demo: install  ## set up everything and serve the demo city
	$(UV) run gridgov demo

test: install-test lint pytest  ## install what tests need, then lint, type-check and test

install: system python assets
install-test: system-test python assets

test-qgis: install  ## Debian's QGIS opens every OGC collection with HTTP Basic (not in make test)
	scripts/qgis/test-qgis.sh

system:
	scripts/install-system.sh

system-test:
	scripts/install-system.sh --test

python:
	$(UV) sync --frozen

assets:  ## the pinned JS/CSS/fonts map pages load, served by gridgov (no CDN)
	cd maps/assets && npm ci --no-audit --no-fund

lint:
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

pytest:
	$(UV) run pytest -n auto --maxprocesses=4 --dist loadfile

bench: install  ## every benchmark on the stored city (options: run the scripts directly)
	scripts/install-system.sh --bench
	$(UV) run python scripts/bench/lookup.py
	$(UV) run python scripts/bench/assign.py
	$(UV) run python scripts/bench/gaps.py
	$(UV) run python scripts/bench/export.py

bench-cli: install  ## how soon the gridgov command answers, against a bare import of Typer
	$(UV) run python scripts/bench/cli_startup.py

bench-maps: install-test  ## map pages' size and first render in Chromium, against a bare folium page
	$(UV) run python scripts/bench/map_page.py

bench-tipg: install  ## gridgov's lookup, OGC items and tiles against tipg on the same database
	$(UV) run --group bench python scripts/bench/tipg_compare.py

bench-cql2: install  ## CQL2 filters on households against tipg's, 100,000 households
	$(UV) run --group bench python scripts/bench/cql2_compare.py --households 100000

bench-kmeans: install  ## the flow against k-means-constrained, 20,000 households (about 8 min)
	$(UV) run --group bench python scripts/bench/kmeans_compare.py

serve:
	$(UV) run gridgov serve

down:  ## stop the embedded PostGIS cluster
	$(UV) run gridgov db down

clean: down
	rm -rf .gridgov artifacts maps/assets/node_modules
