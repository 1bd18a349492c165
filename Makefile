# printshop — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export SHOP_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint bench db install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## Build (or upgrade) the SQLite database and load the demo data; safe to repeat.
db: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo

## Serve the shop at http://$(HOST):$(PORT)/ and the back office at /admin/, with the job scheduler
## (`flask scheduler`: it delivers the notification outbox) running beside it and stopped with it.
run: db
	@echo "Магазин: http://$(HOST):$(PORT)/   Офис: http://$(HOST):$(PORT)/admin/   Уведомления: flask scheduler"
	@$(BIN)/flask scheduler & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python run.py

## The whole suite, on SQLite and PostgreSQL (SQLite alone when PostgreSQL cannot be used and neither
## TEST_DATABASE_URL nor CI is set; the report header says which).
test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
