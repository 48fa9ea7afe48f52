# yuqing — the two commands that matter: `make demo` and `make test` (each sets itself up).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo desk test lint bench bench-load lock clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements.lock pyproject.toml
	@# reports (PDF/charts) need a CJK font, HarfBuzz subsetting and poppler (tests); the browser tests need
	@# Debian's Chromium; `docker-compose config` checks the production compose file (no engine needed).
	@# Installed only if missing (as root).
	@if ! fc-list :lang=zh | grep -q . || ! ldconfig -p | grep -q libharfbuzz-subset || ! command -v pdftotext >/dev/null \
	    || ! command -v chromium >/dev/null || ! command -v docker-compose >/dev/null; then \
	  apt-get update -qq && apt-get install -y --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 poppler-utils \
	    chromium docker-compose; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Set up, then run the demo: Airflow + store, loopback sources, collect and daily-log DAG runs.
demo: setup
	$(BIN)/python include/demo/run_demo.py

## After `make demo`: the Airflow UI with the 舆情 desk on the demo's data, until Ctrl-C.
desk: setup
	$(BIN)/python include/demo/desk_serve.py

## Set up, then lint and run the whole test suite (PostgreSQL too when YUQING_TEST_DATABASE_URL is set).
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

## Re-resolve requirements.txt into requirements.lock in a scratch venv.
lock:
	rm -rf /tmp/yuqing-lock-venv && $(PYTHON) -m venv /tmp/yuqing-lock-venv
	/tmp/yuqing-lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/yuqing-lock-venv/bin/pip install --quiet -r requirements.txt
	(echo "# Full resolved set for requirements.txt on CPython 3.11 (regenerate with: make lock). Used as pip constraints."; \
	 /tmp/yuqing-lock-venv/bin/pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf $(VENV) airflow_home var output .pytest_cache .ruff_cache

## Set up, then print the speed and memory figures (parse time, analysis, store, daily log).
bench: setup
	$(BIN)/python bench/run_bench.py

## Set up, then feed one simulated day (1,000,000 items, 500 loopback sources) through yuqing_collect on a
## Celery cluster (PostgreSQL + Redis on 127.0.0.1) and print items/s, p95 warning delay, DB size, worker RSS.
bench-load: setup
	$(BIN)/python bench/load.py $(ARGS)
