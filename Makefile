# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint pytest serve install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate the embedded database, load a demo market once, serve.
demo: $(STAMP)
	$(BIN)/tsunagu migrate --no-input
	$(BIN)/tsunagu demo --if-empty
	@echo "Tsunagu: http://$(HOST):$(PORT)/  API: http://$(HOST):$(PORT)/api/v1/docs"
	$(BIN)/tsunagu runserver --insecure $(HOST):$(PORT)

## make test: lint, type-check and run the whole suite on the configured database.
test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) data
