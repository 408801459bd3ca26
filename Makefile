# Navigator: `make run` starts it, `make test` checks it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
BOT_VENV := .venv-bot
PY       := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help envs run test lint format validate index lock clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/venv.in requirements/venv.lock scripts/venv.sh
	scripts/venv.sh $(VENV) python3 requirements/venv.in requirements/venv.lock

$(BOT_VENV)/.installed: requirements/bot.in requirements/bot.lock scripts/venv.sh scripts/python310.sh
	scripts/venv.sh $(BOT_VENV) "$$(scripts/python310.sh)" requirements/bot.in requirements/bot.lock

envs: $(VENV)/.installed $(BOT_VENV)/.installed ## create or update both environments (seconds when unchanged)

validate: $(VENV)/.installed ## check every catalog record
	$(PY) -m knowledge validate

index: validate ## embed the catalog into Qdrant (skips when nothing changed)
	$(PY) -m knowledge index

run: envs index ## start Navigator and print its URLs (Ctrl-C stops it)
	@echo "Navigator api:  http://$${NAVIGATOR_API_HOST:-127.0.0.1}:$${NAVIGATOR_API_PORT:-8000}  (docs at /docs, health at /healthz)"
	$(PY) -m api

test: envs lint ## run ruff and the whole test suite
	$(PY) -m pytest
	$(BOT_VENV)/bin/python -m pytest tests/rasa --confcutdir=tests/rasa -p no:cacheprovider

lint: $(VENV)/.installed ## ruff checks and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: ## re-resolve both environments' lock files from requirements/*.in
	scripts/lock.sh python3 requirements/venv.in requirements/venv.lock
	scripts/lock.sh "$$(scripts/python310.sh)" requirements/bot.in requirements/bot.lock

clean: ## remove the environments, the index and caches
	rm -rf $(VENV) $(BOT_VENV) var .pytest_cache .ruff_cache
