# The few verbs people need. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1:8000
export DJANGO_SETTINGS_MODULE := core.settings

.DEFAULT_GOAL := help
.PHONY: help run serve test lint bench load messages clean pdf-deps pdf-test-deps

# What WeasyPrint needs from Debian: Pango, the CJK font the PDFs name in @font-face, and HarfBuzz's
# subsetter (without it every PDF spends seconds subsetting fonts in Python).
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-microhei

help: ## List the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --build-constraint build-constraints.txt -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

pdf-deps:
	@sh scripts/apt-install.sh $(PDF_DEBS)

# The tests read PDFs back with pdftotext and render pages with pdftoppm.
pdf-test-deps: pdf-deps
	@sh scripts/apt-install.sh poppler-utils

messages: $(VENV)/.installed ## Compile the translation catalogues
	@command -v msgfmt >/dev/null || sh scripts/apt-install.sh gettext
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v0

run: $(VENV)/.installed messages pdf-deps ## Install, migrate, load the demo data and serve at http://127.0.0.1:8000
	DEBUG=1 $(PY) manage.py migrate --noinput -v0
	DEBUG=1 $(PY) manage.py seed_demo
	@# The daily reminders: the worker runs them now, then each day at LEDGER_REMINDER_HOUR (once
	@# enqueued, the task enqueues itself for the next day; nothing is enqueued twice).
	DEBUG=1 $(PY) manage.py schedule_reminders --now -v0
	@# The background worker (big PDF reports, the reminders) runs beside the server and stops with it.
	DEBUG=1 $(PY) manage.py db_worker -v0 & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST)

# Production start (README, Deployment): DEBUG off, SECRET_KEY and ALLOWED_HOSTS from the
# environment; the static files collected and the database migrated before gunicorn starts.
BIND ?= 127.0.0.1:8000
WEB_WORKERS ?= 2
serve: $(VENV)/.installed messages ## Production start: collectstatic, migrate, gunicorn (WEB_WORKERS, BIND)
	DEBUG=0 $(PY) manage.py collectstatic --noinput -v0
	DEBUG=0 $(PY) manage.py migrate --noinput -v0
	DEBUG=0 exec $(VENV)/bin/gunicorn core.wsgi --bind $(BIND) --workers $(WEB_WORKERS) --access-logfile -

test: $(VENV)/.installed-dev messages pdf-test-deps ## Install the test requirements and run the whole suite
	@command -v soffice >/dev/null || sh scripts/apt-install.sh libreoffice-calc-nogui
	@# The Word documents are opened by LibreOffice Writer in the tests.
	@sh scripts/apt-install.sh libreoffice-writer-nogui
	@command -v chromium >/dev/null || sh scripts/apt-install.sh chromium
	$(VENV)/bin/pytest

lint: $(VENV)/.installed-dev pdf-deps ## Ruff, Django's checks and missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py check
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# `make bench` runs on the database DATABASE_URL names (PostgreSQL: see the README's
# Performance section), or on a scratch SQLite file removed afterwards. BENCH_ITEMS sets the
# size of the ledger (topped up to it with seed_demo --items), BENCH_RUNS the timed runs.
BENCH_DB := $(CURDIR)/bench.sqlite3
BENCH_ITEMS ?= 100000
BENCH_RUNS ?= 5
BENCH_URL := $(or $(DATABASE_URL),sqlite:///$(BENCH_DB))
BENCH := DEBUG=1 DATABASE_URL=$(BENCH_URL) $(PY) manage.py

bench: $(VENV)/.installed-dev pdf-deps ## Benchmarks: pages vs their floors and the admin, import, PDF, history chain (prints one table)
	@mkdir -p bench
	$(if $(DATABASE_URL),,rm -f $(BENCH_DB))
	$(BENCH) migrate --noinput -v0
	$(BENCH) bench_pages --items $(BENCH_ITEMS) --runs 0
	$(BENCH) bench_import | tee bench/import.txt
	$(BENCH) bench_reports | tee bench/reports.txt
	$(BENCH) bench_docx | tee bench/docx.txt
	$(BENCH) bench_chain | tee bench/chain.txt
	$(BENCH) bench_pages --runs $(BENCH_RUNS) --json bench/results.json --attach bench/import.txt --attach bench/reports.txt --attach bench/docx.txt --attach bench/chain.txt
	$(if $(DATABASE_URL),,rm -f $(BENCH_DB))

# `make load` needs DATABASE_URL=postgres://… naming a database `make bench` seeded.
load: $(VENV)/.installed requirements-bench.txt ## Load test: gunicorn (2 workers) on PostgreSQL under locust, beside a trivial view
	$(PIP) install --quiet -r requirements-bench.txt
	$(PY) bench/load.py

clean: ## Remove the virtualenv and the SQLite database
	rm -rf $(VENV) db.sqlite3
