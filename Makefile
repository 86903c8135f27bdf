# Ursa: every target bootstraps .venv from nothing when it is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8914
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider

.PHONY: run test check fmt bench clean tier-unit tier-services tier-api tier-web tier-contract tier-fuzz tier-integration

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ursa dev --host $(HOST) --port $(PORT)

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Fast to slow, one pytest run per tier: a broken unit test fails in seconds, and a tier
# that collects nothing fails too (pytest exit 5 is never masked).
test: check tier-unit tier-services tier-contract tier-api tier-web tier-fuzz tier-integration

tier-unit: $(STAMP)
	$(PYTEST) tests/unit/domain

tier-services: $(STAMP)
	$(PYTEST) tests/unit/services

# The contract suite runs each port's twin and real adapter (moto server on loopback).
tier-contract: $(STAMP)
	$(PYTEST) tests/contract

tier-api: $(STAMP)
	$(PYTEST) tests/api

tier-web: $(STAMP)
	$(PYTEST) tests/web

# schemathesis against a live `ursa dev`: zero 5xx, zero schema violations.
tier-fuzz: $(STAMP)
	$(PYTEST) tests/fuzz

# Real sshd + single-node Slurm + Redis (root; installs Debian packages the first time).
# The services stop whatever the tests did, and the tests' exit status is kept.
tier-integration: $(STAMP)
	bash scripts/integration_up.sh && $(PYTEST) -m integration tests/integration; rc=$$?; bash scripts/integration_down.sh; exit $$rc

bench: $(STAMP)
	PYTHONPATH=tests $(BIN)/python benchmarks/run.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache
