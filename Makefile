# The two commands: `make run` (the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench audit check-migrations clean

$(VENV)/.base-installed: requirements/base.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements/base.lock
	touch $@

$(VENV)/.test-installed: $(VENV)/.base-installed requirements/test.lock
	$(PIP) install --quiet --disable-pip-version-check -r requirements/test.lock
	touch $@

run: $(VENV)/.base-installed
	$(PY) infra/run.py

# Tests use the real Redis (a database index of their own, cleared by the suite).
test: export REDIS_URL ?= redis://127.0.0.1:6379/15
test: $(VENV)/.test-installed
	bash infra/ensure-test-deps.sh
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	$(PY) -m pytest tests/benchmarks -p no:cacheprovider -o addopts="" -o faulthandler_timeout=0 -s $(PYTEST_ARGS)

# Known vulnerabilities in every pinned dependency (PyPI's advisory data; AUDIT_SERVICE=osv for OSV). Not part of
# `make test`: it needs the advisory service. --strict: a package that could not be checked fails the audit.
AUDIT_SERVICE ?= pypi
audit: $(VENV)/.test-installed
	$(VENV)/bin/pip-audit --disable-pip --no-deps --strict --progress-spinner off \
		--vulnerability-service $(AUDIT_SERVICE) -r requirements/base.lock -r requirements/test.lock

clean:
	rm -rf $(VENV) .run
