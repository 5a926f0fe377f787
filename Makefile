# fugong — the project's commands. `make demo` runs it; `make test` tests it.
SHELL := /bin/bash
PY := .venv/bin/python
PIP := .venv/bin/pip
PYTHON ?= python3
export DJANGO_SETTINGS_MODULE := fugong.settings

.PHONY: install chromium demo test lint bench messages lock clean

install: .venv/.installed node_modules/.installed

.venv/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv .venv
	@mkdir -p var
	@$(PIP) install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock > var/pip.log 2>&1 \
	  || { cat var/pip.log; exit 1; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --ignore-scripts --loglevel=error > var/npm.log 2>&1 || { cat var/npm.log; exit 1; }
	@touch $@

# Debian's chromium for the browser tests (Playwright drives it; no browser download), and a
# Chinese font so screenshots show characters rather than boxes.
chromium:
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/truetype/wqy; } || { \
	  echo "installing Debian's chromium and a Chinese font for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei > /dev/null; }

demo: install
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py load_reference
	@$(PY) manage.py load_demo
	@echo "fugong is at http://127.0.0.1:8000  (Ctrl-C stops it; the worker runs beside it: imports, notifications, reminders, escalation)"
	@FUGONG_DEBUG=$${FUGONG_DEBUG:-True} $(PY) manage.py run_worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  FUGONG_DEBUG=$${FUGONG_DEBUG:-True} $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@$(PY) manage.py makemigrations --check --dry-run -v0
	@.venv/bin/mypy . > var/mypy.log 2>&1 || { cat var/mypy.log; exit 1; }

test: install chromium lint
	@scripts/audit-deps
	@.venv/bin/pytest

bench: install
	@$(PY) -m bench

# The msgids are English; the Simplified Chinese catalogue is the default UI. Both the .po and
# the compiled .mo are committed, so a fresh checkout needs no gettext.
messages: install
	@$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var
	@$(PY) manage.py compilemessages -l zh_Hans --ignore=node_modules --ignore=.venv --ignore=var

# Re-resolve the lock file after changing pyproject.toml (needs pip-tools).
lock:
	@$(PY) -m piptools compile -q --extra dev --generate-hashes --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

clean:
	rm -rf .venv node_modules var
