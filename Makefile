# CampusDesk: every developer command. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
TICKETS ?= 1000
SEED ?= 42
SCALE ?= 1m
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test venv dev-venv migrate seed eval-classifier retrain bench fuzz lint lock clean

## run: start the five services on the local SQLite database (Ctrl-C stops them all);
## e-mail updates go to the development mail sink, one .eml file per message in var/mail/
run: export SMTP_URL ?= smtp://127.0.0.1:1025
run: venv
	$(PY) -m ticket_service migrate
	$(PY) -m ticket_service_tools demo-campus
	@echo "==> CampusDesk is starting: open http://127.0.0.1:8000"
	$(VENV)/bin/honcho start -f Procfile

## test: the whole suite on a throwaway PostgreSQL and on SQLite, then ruff and mypy
test:
	scripts/test.sh

venv:
	scripts/bootstrap-venv.sh runtime

dev-venv:
	scripts/bootstrap-venv.sh dev

## migrate: apply the database migrations to DATABASE_URL (default: the local SQLite file)
migrate: venv
	$(PY) -m ticket_service migrate

## seed: fill DATABASE_URL with TICKETS realistic tickets (deterministic for a SEED)
## (seed, eval-classifier and retrain are the ticket service's offline tools: ticket_service_tools, dev pins)
seed: dev-venv
	$(PY) -m ticket_service migrate
	$(PY) -m ticket_service_tools seed --tickets $(TICKETS) --seed $(SEED)

lint: dev-venv
	ruff check .
	ruff format --check .

## lock: re-resolve the pins in requirements/*.txt from requirements/*.in
lock:
	rm -rf /tmp/campusdesk-lock && python3.11 -m venv /tmp/campusdesk-lock
	/tmp/campusdesk-lock/bin/pip install -q -r requirements/runtime.in
	{ echo "# Runtime pins of every service, resolved together (regenerate with: make lock)"; \
	  /tmp/campusdesk-lock/bin/pip freeze --exclude-editable; } > requirements/runtime.txt
	/tmp/campusdesk-lock/bin/pip install -q -r requirements/dev.in
	{ echo "# Test and tooling pins on top of the runtime pins (regenerate with: make lock)"; echo "-r runtime.txt"; \
	  /tmp/campusdesk-lock/bin/pip freeze --exclude-editable | grep -vxF -f requirements/runtime.txt; } > requirements/dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## eval-classifier: accuracy, precision/recall, per-language accuracy, confusion matrix and timing on the held-out split
eval-classifier: dev-venv
	$(PY) -m ticket_service_tools eval-classifier

## retrain: retrain the category model from the data set plus the corrections in DATABASE_URL
retrain: dev-venv
	$(PY) -m ticket_service_tools retrain

## fuzz: long Schemathesis run against the four APIs on a throwaway PostgreSQL; prints the case counts
## (FUZZ_EXAMPLES positive and as many negative cases per operation; the bounded run is part of `make test`)
FUZZ_EXAMPLES ?= 300
fuzz: dev-venv
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m tests.reliability.fuzz

## bench: seed a throwaway PostgreSQL (SCALE=10k|1m|10m), start the stack, measure it against the machine's limits
## (also the category model's load time and prediction latency, which no test asserts)
bench: dev-venv
	$(PY) -m bench.run --scale $(SCALE)
