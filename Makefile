# The two commands: `make run` starts the app, `make test` runs every test. Both set up .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1

.PHONY: run test bench

$(STAMP): pyproject.toml requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# .streamlit/config.toml binds the server to 127.0.0.1 and turns usage statistics off.
run: $(STAMP)
	$(BIN)/streamlit run app.py

# The browser test drives Debian's chromium; without root and apt it is skipped with a reason.
/usr/bin/chromium:
	-apt-get update -qq && apt-get install -y -qq chromium

# The plan document's test renders its pages to PNG with poppler's pdftoppm; without it that test is skipped.
/usr/bin/pdftoppm:
	-apt-get update -qq && apt-get install -y -qq poppler-utils

# The store tests run on PostgreSQL too when a server answers on 127.0.0.1:5432 (trust auth, database test).
test: $(STAMP) /usr/bin/chromium /usr/bin/pdftoppm
	$(BIN)/ruff check matcher ui app.py tests benchmarks
	$(BIN)/mypy
	if [ -z "$$TEST_DATABASE_URL" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then \
		export TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test; fi; \
	$(BIN)/python -m pytest

# Benchmarks (benchmarks/README.md) need the bench extra (zen-engine, pyinstrument); this installs it once.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py
