# Navigator: `make run` starts it, `make test` checks it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
BOT_VENV := .venv-bot
PY       := $(VENV)/bin/python
MODEL    := models/navigator.tar.gz
export PYTHONDONTWRITEBYTECODE := 1
# Rasa: our components import from the repo root; no telemetry (no network beyond the registries); one warning less.
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
RASA := $(BOT_VENV)/bin/rasa
# What the model is trained from: channels and endpoint files are read at run time, not trained on.
BOT_SOURCES := config.yml $(shell find bot -type f -not -path '*/__pycache__/*' -not -path 'bot/channels/*' -not -name lock_store.py \
	-not -name credentials.yml -not -name 'endpoints*.yml' 2>/dev/null)

.PHONY: help envs run test test-reliability lint format validate index train lock clean browser

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

# Trains only when config.yml or anything under bot/ is newer than the model.
$(MODEL): $(BOT_SOURCES) | $(BOT_VENV)/.installed
	$(RASA) train --config config.yml --domain bot/domain --data bot/data --out models --fixed-model-name navigator
	@touch $@

train: envs $(MODEL) ## train the Rasa model if config.yml or bot/ changed

run: envs index $(MODEL) ## start api, actions and bot, print their URLs (Ctrl-C stops all)
	@mkdir -p var
	@$(PY) scripts/dev_secrets.py var/dev-secrets.env
	@echo "Navigator is starting:"
	@echo "  web chat  http://127.0.0.1:$${NAVIGATOR_API_PORT:-8000}/"
	@echo "  api       http://127.0.0.1:$${NAVIGATOR_API_PORT:-8000}  (docs /docs, health /healthz)"
	@echo "  bot       http://127.0.0.1:$${NAVIGATOR_BOT_PORT:-5005}/webhooks/rest/webhook  (REST channel)"
	@echo "  sms       http://127.0.0.1:$${NAVIGATOR_BOT_PORT:-5005}/webhooks/twilio_sms/webhook  (Twilio; needs TWILIO_AUTH_TOKEN and NAVIGATOR_PUBLIC_BOT_URL)"
	@echo "  actions   http://127.0.0.1:$${NAVIGATOR_ACTIONS_PORT:-5055}/health"
	NAVIGATOR_ACTIONS_URL=$${NAVIGATOR_ACTIONS_URL:-http://127.0.0.1:$${NAVIGATOR_ACTIONS_PORT:-5055}/webhook} \
	NAVIGATOR_TRACKER_DB=$${NAVIGATOR_TRACKER_DB:-var/tracker.db} \
	NAVIGATOR_SMS_STATE_URL=$${NAVIGATOR_SMS_STATE_URL:-sqlite:///var/sms-state.db} \
	$(VENV)/bin/honcho start -f Procfile -e var/dev-secrets.env,.env

test: envs lint browser index $(MODEL) ## run ruff, rasa data validate and the whole test suite (trains the model if stale)
	$(RASA) data validate --config config.yml --domain bot/domain --data bot/data
	$(RASA) test core --model $(MODEL) --stories tests/conversations --out var/rasa-test --fail-on-prediction-errors
	$(PY) -m pytest
	$(BOT_VENV)/bin/python -m pytest tests/rasa --confcutdir=tests/rasa -p no:cacheprovider

# Its own target, so a developer's `make test` stays quick; .ci/run runs both. Load (2,000 SMS at 32/s, 500 referrals),
# faults (SIGKILLed api, action server down, a PostgreSQL restart), schemathesis over every api operation, and two bot
# replicas on PostgreSQL + Redis.
test-reliability: envs browser index $(MODEL) ## run the reliability suite (about 6 minutes)
	$(PY) -m pytest -m reliability -s  # -s: the FAULT and LOAD lines are the figures of docs/reliability.md

# The browser tests drive Debian's chromium through Playwright: installed here from apt, never downloaded by a test tool.
browser: ## install Debian's chromium for the browser tests (only when /usr/bin/chromium is missing)
	@[ -x /usr/bin/chromium ] || { sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

lint: $(VENV)/.installed ## ruff checks and formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: ## re-resolve both environments' lock files from requirements/*.in
	scripts/lock.sh python3 requirements/venv.in requirements/venv.lock
	scripts/lock.sh "$$(scripts/python310.sh)" requirements/bot.in requirements/bot.lock

clean: ## remove the environments, the index, the model and caches
	rm -rf $(VENV) $(BOT_VENV) var models .pytest_cache .ruff_cache
