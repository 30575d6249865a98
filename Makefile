# Two commands: `make run` (the product on embedded defaults, with demo data) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test`; 3 measured fastest on a 2-core machine (tests wait on I/O a lot).
TEST_WORKERS ?= 4

.PHONY: run test lint bench migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) -m services migrate

run: $(STAMP) migrate
	@echo ""
	@echo "  Dashboard:   http://127.0.0.1:$${DASHBOARD_PORT:-8501}   (log in as coach@example.com / demo-password)"
	@echo "  Webhook:     http://127.0.0.1:$${WEBHOOK_PORT:-8000}/api/process-scheduled-messages"
	@echo "  Local QStash: http://127.0.0.1:$${LOCAL_QSTASH_PORT:-8080}"
	@echo ""
	PYTHONUNBUFFERED=1 $(VENV)/bin/honcho start -f Procfile

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) lint
	$(PY) -m tests.check_postgres
	$(PY) -m pytest -q -rfEs -n $(TEST_WORKERS) --durations=10

bench: $(STAMP)
	$(PY) -m bench $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) data .pytest_cache
