# printshop — the commands a new machine needs: `make run`, `make test`, and `make serve` for a real deployment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Test processes (pytest-xdist); each builds its own databases. `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= auto
SERVE_PORT ?= 8000
export SHOP_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run serve test lint bench db install install-dev clean

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

## Production: PostgreSQL (DATABASE_URL), migrations, the one scheduler process and gunicorn (gunicorn.conf.py:
## 2 processes per core × 4 threads; WEB_CONCURRENCY, GUNICORN_THREADS, SERVE_PORT override). Needs SECRET_KEY and
## SECURITY_PASSWORD_SALT; put a proxy (nginx) in front for TLS. Stopping it stops the scheduler too.
serve: install
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "make serve: set DATABASE_URL=postgresql+psycopg://user:password@host/db" >&2; exit 1;; esac
	PRINTSHOP_ENV=production $(BIN)/flask db upgrade
	@echo "Магазин: http://$(HOST):$(SERVE_PORT)/   Офис: http://$(HOST):$(SERVE_PORT)/admin/"
	PRINTSHOP_ENV=production $(BIN)/flask scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	PRINTSHOP_ENV=production HOST=$(HOST) PORT=$(SERVE_PORT) $(BIN)/gunicorn -c gunicorn.conf.py

## The whole suite, on SQLite and PostgreSQL (SQLite alone when PostgreSQL cannot be used and neither
## TEST_DATABASE_URL nor CI is set; the report header says which).
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-dev
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
