# pgrst_jwt: build, install and test. `make test` is the one test command (CI runs it).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PG_BIN     ?= /usr/lib/postgresql/15/bin
PG_CONFIG  ?= $(PG_BIN)/pg_config
PGRX_PGDATA ?= /var/lib/postgresql/pgrx
DEMO_DB    ?= pgrst_jwt_demo
LOAD_SECONDS ?= 10
SOAK_SCALE ?= 0.1

IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
ifeq ($(IS_ROOT),yes)
  AS_POSTGRES := sudo -u postgres
else
  AS_POSTGRES := $(shell [ "$$(id -un)" = postgres ] || echo sudo -u postgres)
endif

.PHONY: help setup install demo unit pgtest regress load soak test fmt-check clippy

help:
	@echo "make setup       install the build and test dependencies (.ci/setup; idempotent)"
	@echo "make install     build (release) and install into $(PG_CONFIG) (.ci/install)"
	@echo "make demo        install, start the 15/main cluster, run examples/demo.sql in $(DEMO_DB)"
	@echo "make test        unit, pgtest, regress, load, soak (stops at the first failure)"
	@echo "make unit        pure Rust tests (cargo test --lib)"
	@echo "make pgtest      #[pg_test]s inside PostgreSQL (cargo pgrx test pg15)"
	@echo "make regress     SQL and Python tests on a throw-away cluster (pg_test/run)"
	@echo "make load        pgbench, 16 clients, LOAD_SECONDS (10) of mixed sign/verify/check"
	@echo "make soak        SOAK_SCALE (0.1) of 1M HS256 + 100k RSA/EC calls in one backend, RSS growth"
	@echo "make fmt-check   cargo fmt --check"
	@echo "make clippy      clippy on every target, pg_test module included, warnings are errors"

setup:
	bash .ci/setup

install:
	PG_CONFIG=$(PG_CONFIG) bash .ci/install

demo: setup
	@$(MAKE) --no-print-directory install
	@if ! pg_lsclusters -h 2>/dev/null | awk '$$1 == "15" && $$2 == "main" { found = 1; if ($$4 == "online") up = 1 } END { exit !(found && up) }'; then \
	    echo "starting cluster 15/main"; \
	    if [ "$$(id -u)" = 0 ]; then pg_ctlcluster --skip-systemctl-redirect 15 main start; \
	    else $(AS_POSTGRES) pg_ctlcluster --skip-systemctl-redirect 15 main start; fi; \
	fi
	@$(AS_POSTGRES) $(PG_BIN)/psql -X -q -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DEMO_DB)'" postgres | grep -q 1 \
	    || $(AS_POSTGRES) $(PG_BIN)/createdb $(DEMO_DB)
	$(AS_POSTGRES) $(PG_BIN)/psql -X -v ON_ERROR_STOP=1 -d $(DEMO_DB) -f - < examples/demo.sql

unit:
	cargo test --lib

pgtest:
ifeq ($(IS_ROOT),yes)
	mkdir -p $(PGRX_PGDATA)
	chown postgres $(PGRX_PGDATA)
	cargo pgrx test pg15 --release --runas postgres --pgdata $(PGRX_PGDATA)
else
	cargo pgrx test pg15 --release
endif

regress:
	PG_BIN=$(PG_BIN) bash pg_test/run

# under load and over time, on the installed build (regress installs it): 10 s of pgbench
# and a tenth of the soak; bench/load and bench/soak without options give the full runs
load:
	PG_BIN=$(PG_BIN) python3 bench/load --seconds $(LOAD_SECONDS)

soak:
	PG_BIN=$(PG_BIN) python3 bench/soak --scale $(SOAK_SCALE)

# the order matters (regress reinstalls the normal release build over the pg_test one) and
# the first failure stops the rest, even under make -j; a failure still leaves the normal
# release build installed, never the test build
test: setup
	@rc=0; \
	$(MAKE) --no-print-directory unit && \
	$(MAKE) --no-print-directory pgtest && \
	$(MAKE) --no-print-directory regress && \
	$(MAKE) --no-print-directory load && \
	$(MAKE) --no-print-directory soak || rc=$$?; \
	if [ $$rc != 0 ]; then echo "make test failed; reinstalling the release build"; \
	    $(MAKE) --no-print-directory install >/dev/null 2>&1 || true; fi; \
	exit $$rc

fmt-check:
	cargo fmt --check

clippy:
	cargo clippy --all-targets --features "pg15 pg_test" -- -D warnings
