# QMS Portal — `make run` serves the demo portal, `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# `make test` runs the suite in one process per core (pytest-xdist), each test module whole in one
# process (its module fixtures built once); TEST_PROCESSES=0 runs it in this process alone.
TEST_PROCESSES ?= auto
# Debian packages: Pango for WeasyPrint, fonts (Latin and CJK) for PDFs, LibreOffice without X
# (the nogui builds) for the PDF renditions of DOCX, XLSX and ODT revisions.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk gettext chromium libreoffice-writer-nogui libreoffice-calc-nogui
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-packages venv messages migrate seed serve worker beat lint check-migrations backup restore clean

run: setup migrate seed  ## Install, migrate, seed the demo agency and serve http://127.0.0.1:8000
	@echo "Serving the portal on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	DEBUG=$${DEBUG:-true} $(MANAGE) runserver $(HOST):$(PORT)

test: setup  ## Run the test suite (embedded, or against DATABASE_URL / REDIS_URL when set)
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

setup: system-packages venv messages

messages: venv  ## Compile the zh-Hans catalogues (.po → .mo)
	@DEBUG=true $(MANAGE) compilemessages --ignore '.venv/*' --ignore 'var/*' -v 0

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

migrate: setup
	DEBUG=$${DEBUG:-true} $(MANAGE) migrate --noinput

seed: migrate
	DEBUG=$${DEBUG:-true} $(MANAGE) seed_demo

serve: setup  ## Production web server (set DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS first)
	$(MANAGE) collectstatic --noinput
	$(BIN)/gunicorn qms_portal.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3} --access-logfile -

worker: setup  ## Celery worker (needs REDIS_URL)
	$(BIN)/celery -A qms_portal worker --loglevel=INFO

beat: setup  ## Celery beat; the schedule is in qms_portal/celery.py
	$(BIN)/celery -A qms_portal beat --loglevel=INFO --schedule var/celerybeat-schedule

backup: setup  ## Database records and uploaded files in one archive under var/backups/
	$(MANAGE) backup_portal

restore: setup  ## make restore BACKUP=var/backups/qms-backup-….tar.gz (into an empty, migrated database)
	@test -n "$(BACKUP)" || { echo "Say which archive: make restore BACKUP=path"; exit 2; }
	$(MANAGE) migrate --noinput
	$(MANAGE) restore_portal "$(BACKUP)"

lint: setup  ## ruff: lint and formatting (changes nothing)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

check-migrations: setup  ## Fail when a model change has no migration (writes nothing)
	$(MANAGE) makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/static var/test-media .pytest_cache
