# Two commands set up a fresh machine (Python 3.11+, make, git):
#   make demo   venv + pinned deps, feed the 2013 year, ingest, build and test every zone, docs
#   make test   lint (pre-commit hooks, sqlfluff with the dbt templater) + pytest + dbt build on ci;
#               installs the Debian packages the tests need when missing (chromium, Java 17)
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
INSTALLED := $(VENV)/.installed
# CI builds and lints in its own folders, never in the dev warehouse or data.
CI_DIR := $(CURDIR)/build/ci
LINT_DIR := $(CURDIR)/build/lint

export PATH := $(BIN):$(PATH)

.PHONY: install install-spark system-packages demo test lint pytest ci-build docs clean check \
	publish rollback slim-ci bench bench-observability spark-cluster-test

# A line per step; pip's whole output goes to $(INSTALL_LOG) (scripts/pip_install_steps.py).
INSTALL_LOG := $(CURDIR)/build/install.log
PIP_STEPS := $(BIN)/python scripts/pip_install_steps.py $(INSTALL_LOG)

$(INSTALLED): pyproject.toml
	@echo "[install 1/3] a virtual environment: $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "[install 2/3] pip, upgraded"
	@$(PIP_STEPS) --upgrade pip
	@echo "[install 3/3] dataops and its pinned dependencies (a few minutes the first time)"
	@$(PIP_STEPS) -e ".[dev]"
	@touch $(INSTALLED)

install: $(INSTALLED)

# The Spark extra (dbt-spark, pyspark: about 630 MB), for the tests and the Spark targets.
SPARK_INSTALLED := $(VENV)/.installed-spark
$(SPARK_INSTALLED): $(INSTALLED)
	@echo "[install] the spark extra"
	@$(PIP_STEPS) -e ".[dev,spark]"
	touch $(SPARK_INSTALLED)

install-spark: $(SPARK_INSTALLED)

demo: install
	$(BIN)/dataops demo

docs: install
	$(BIN)/dataops docs

lint: install
	$(BIN)/pre-commit run --all-files --show-diff-on-failure
	mkdir -p $(LINT_DIR)/warehouse
	DATAOPS_DATA_DIR=$(LINT_DIR)/data DATAOPS_WAREHOUSE_DIR=$(LINT_DIR)/warehouse \
		$(BIN)/sqlfluff lint --processes 2 models snapshots macros data_tests

# chromium (browser tests) and Java 17 (Spark parity test), installed when missing (as root),
# or one line saying what to run.
system-packages:
	scripts/install-system-packages

# Two workers, each test file whole on one of them (its module fixtures built once), the
# files that read the shared session build together on one (tests/conftest.py:
# BUILT_DAYS_FILES), the long ones first by a rule (spark, then e2e, then the rest; the larger
# first). A third worker on the two cores gained 15 s of 17 min: the suite is bound by CPU.
PYTEST_WORKERS ?= 2
pytest: install-spark system-packages
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# dbt build on the ci target from scratch, on the whole real year, then source freshness.
CI_ENV := DATAOPS_DATA_DIR=$(CI_DIR)/data DATAOPS_WAREHOUSE_DIR=$(CI_DIR)/warehouse
ci-build: install
	rm -rf $(CI_DIR)
	$(CI_ENV) $(BIN)/dataops feed
	$(CI_ENV) $(BIN)/dataops ingest --target ci
	# the year within 150 MB of DuckDB memory, on one DuckDB thread (DuckDB wants about
	# 125 MB per thread; docs/scale-and-benchmark.md, "Memory and threads")
	$(CI_ENV) DATAOPS_DUCKDB_MEMORY_LIMIT=150MB DATAOPS_DUCKDB_THREADS=1 $(BIN)/dataops build --target ci
	$(CI_ENV) $(BIN)/dbt source freshness --target ci --profiles-dir $(CURDIR) --project-dir $(CURDIR)
	# docs with column lineage; fails when a model, column, source or macro lacks a description
	$(CI_ENV) $(BIN)/dataops docs --target ci
	# dbt-coverage on the docs' manifest and catalog: every column of the warehouse described,
	# and the share of its columns with a test at least the floor (155 of 884 columns, 17.5%:
	# raise the floor as tests are added)
	$(BIN)/dbt-coverage compute doc --run-artifacts-dir target \
		--cov-report $(CI_DIR)/coverage-doc.json --cov-fail-under 1.0
	$(BIN)/dbt-coverage compute test --run-artifacts-dir target \
		--cov-report $(CI_DIR)/coverage-test.json --cov-fail-under 0.175

test: lint pytest ci-build

# tests/project/test_source_mutations.py at length: many random examples (make test runs a few).
.PHONY: fuzz
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest tests/project/test_source_mutations.py --hypothesis-show-statistics

# Delivery (docs/delivery.md): the GitHub Actions workflow calls these.
check: install
	$(BIN)/dataops check

publish: install
	$(BIN)/dataops publish

rollback: install
	$(BIN)/dataops rollback

slim-ci: install
	$(BIN)/dataops ci --output build/data-diff.md

# Overhead of the observability collection on dbt build of the real year:
# builds with and without it, alternating, in build/bench (not part of make test).
bench-observability: install
	$(BIN)/dataops bench-observability --rounds 3

# The performance benchmark on generated data (not part of make test): 1x and 10x.
bench: install
	$(BIN)/dataops bench --scale 1 --scale 10

# The spark_cluster target on a local standalone cluster (master, worker, Thrift
# server from the pyspark wheel), on the first week of 2013; the cluster is
# stopped whatever the outcome.
CLUSTER_DIR := $(CURDIR)/build/spark-cluster
CLUSTER_ENV := DATAOPS_DATA_DIR=$(CLUSTER_DIR)/data DATAOPS_WAREHOUSE_DIR=$(CLUSTER_DIR)/warehouse
spark-cluster-test: install-spark
	rm -rf $(CLUSTER_DIR)
	$(CLUSTER_ENV) $(BIN)/dataops feed --start 2013-01-01 --end 2013-01-07
	$(CLUSTER_ENV) $(BIN)/dataops ingest --target spark_cluster
	$(CLUSTER_ENV) $(BIN)/dataops spark-cluster start \
		&& $(CLUSTER_ENV) $(BIN)/dataops build --target spark_cluster; \
		status=$$?; $(CLUSTER_ENV) $(BIN)/dataops spark-cluster stop; exit $$status

clean:
	rm -rf build target logs

# Orchestration (docs/orchestration.md): Dagster's UI on 127.0.0.1:$(ORCHESTRATE_PORT), its state in
# DAGSTER_HOME (default: the warehouse folder's dagster/, which dagster.yaml is written into).
# The orchestration extra (dagster, dagster-dbt, dagster-webserver, dagster-dg-cli) is installed first;
# `make test` installs it for the orchestration tests.
ORCHESTRATION_INSTALLED := $(VENV)/.installed-orchestration
$(ORCHESTRATION_INSTALLED): $(INSTALLED)
	@echo "[install] the orchestration extra"
	@$(PIP_STEPS) -e ".[dev,orchestration]"
	touch $(ORCHESTRATION_INSTALLED)

.PHONY: install-orchestration orchestrate
install-orchestration: $(ORCHESTRATION_INSTALLED)

pytest: install-orchestration

ORCHESTRATE_PORT ?= 3000
# dg dev runs in scripts/, the dg project (scripts/dg.toml: the package dataops.orchestration).
orchestrate: install-orchestration
	home=$$($(BIN)/python -m dataops.orchestration.home) \
		&& cd scripts && DAGSTER_HOME=$$home $(BIN)/dg dev -h 127.0.0.1 -p $(ORCHESTRATE_PORT)

# Browse the MLflow store of the warehouse folder (experiment, runs, registered versions,
# the champion alias) at http://127.0.0.1:$(MLFLOW_UI_PORT); offline, no job runner.
MLFLOW_UI_PORT ?= 5000
MLFLOW_STORE_DIR ?= $(or $(DATAOPS_WAREHOUSE_DIR),$(CURDIR)/warehouse)
.PHONY: mlflow-ui
mlflow-ui: install
	@echo "model training view: http://127.0.0.1:$(MLFLOW_UI_PORT)/#/experiments?workflowType=machine_learning"
	MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \
		$(BIN)/mlflow ui --backend-store-uri sqlite:///$(MLFLOW_STORE_DIR)/mlflow.db \
		--host 127.0.0.1 --port $(MLFLOW_UI_PORT) --workers 1

# The consumers of prod (docs/consumers.md): the on-time dashboard on
# http://127.0.0.1:$(DASHBOARD_PORT) (the exposure on_time_performance_dashboard's url),
# prod read-only, and a notebook of notebooks/ on a sandbox
# (make notebook NOTEBOOK=delay_features SANDBOX=alice). The consumers extra (marimo)
# is installed first; `make test` installs it for their tests.
CONSUMERS_INSTALLED := $(VENV)/.installed-consumers
$(CONSUMERS_INSTALLED): $(INSTALLED)
	@echo "[install] the consumers extra"
	@$(PIP_STEPS) -e ".[dev,consumers]"
	touch $(CONSUMERS_INSTALLED)

DASHBOARD_PORT ?= 2718
NOTEBOOK ?= delay_features
SANDBOX ?= $(USER)
.PHONY: install-consumers dashboard notebook
install-consumers: $(CONSUMERS_INSTALLED)

pytest: install-consumers

dashboard: install-consumers
	$(BIN)/dataops dashboard --port $(DASHBOARD_PORT)

# The docs' screenshots (docs/*.png: the report, the docs site's overview and column
# lineage, the dashboard when prod exists), taken by Debian's chromium from what
# make demo and dataops publish left: scripts/dataops/consumers/screenshots.py.
.PHONY: screenshots
screenshots: install-consumers
	$(BIN)/python -m dataops.consumers.screenshots

notebook: install-consumers
	$(BIN)/dataops notebook $(NOTEBOOK) --sandbox $(SANDBOX)
