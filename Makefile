# juntos-bpm — `make run` sets up everything and serves; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .make

.PHONY: run test install install-dev assets init lint clean

run: install assets init  ## install, build assets, migrate + seed, serve web + worker on SQLite
	$(BIN)/juntos run

test: install-dev assets  ## the whole suite (DATABASE_URL picks SQLite or PostgreSQL)
	$(BIN)/pytest

install: $(STAMPS)/install
install-dev: $(STAMPS)/install-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(STAMPS)/install: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/install-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/install

ASSETS := web/static/vendor/app/task-form.js
assets: $(ASSETS)
$(ASSETS): package.json package-lock.json $(wildcard web/assets/*)
	npm ci --no-audit --no-fund
	npm run build

init: install  ## migrate, seed the organisation and the demo people (idempotent)
	$(BIN)/juntos init

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(STAMPS) node_modules web/static/vendor
