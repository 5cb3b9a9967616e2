# multicloud.invocations: the two commands a new machine needs are `make demo` and `make test`.
# Everything is installed into ./.venv (and ./.venvs/ for the oldest ansible-core) by this file.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
# Python 3.11 caps ansible-core at 2.19.x; meta/runtime.yml claims >= 2.17, so 2.17 is tested too.
CORE_SPEC ?= ansible-core>=2.19,<2.20
OLDEST_VENV := .venvs/ansible-core-2.17
OLDEST_CORE_SPEC ?= ansible-core>=2.17,<2.18
DEV_INPUTS := requirements.txt tests/requirements-dev.txt tests/fleetsim/pyproject.toml Makefile

# pip compiles what it installs to bytecode. Tried without (--no-compile, session of 2026-12-04): the set-up
# took 30 CPU-s less, but make test as a whole used more (1,757 against 1,530 CPU-s; likely the steps that
# start side by side after it compiling the same modules on first import, each for itself).
PIP_FLAGS := --quiet --disable-pip-version-check

# Run a recipe with a virtualenv first on PATH (ansible-test and the scripts find python there).
in_venv = PATH="$(abspath $(1))/bin:$$PATH" VIRTUAL_ENV="$(abspath $(1))"
RUN := $(call in_venv,$(VENV))
RUN_OLDEST := $(call in_venv,$(OLDEST_VENV))

.PHONY: help setup demo test result-size test-serial fleetsim-test units sanity sanity-pylint sanity-other integration examples lint test-oldest units-oldest examples-oldest \
	integration-oldest eda clean bench bench-quick chaos chaos-quick load load-quick dist docs changelog changelog-lint \
	release-test release-checks release-installed release-installed-oldest release-ee release-docs

help:
	@echo "make demo   run a command on a simulated fleet, wait, gate, print the verdict"
	@echo "make test   fleetsim tests, units, sanity, integration, ansible-lint, oldest ansible-core, release, quick"
	@echo "            bench/chaos, load, the EDA rulebook: steps side by side, a table of their times at the end (README: \"Running one step or one target\")"
	@echo "make STEP   one step of make test alone, e.g. make units; make integration TARGETS=invocation_success"
	@echo "make eda    ansible-rulebook runs the example rulebook with the event source (installs Java if missing, as root)"
	@echo "make bench  API calls, detection lag and cost of waiting against the peers -> docs/performance.md"
	@echo "make result-size  what a 1,000 and a 10,000-instance wait weigh in an ansible-runner job event and printed when failed"
	@echo "make chaos  every provider's waits under every fleetsim fault, 3 seeds (CHAOS_QUICK=1: the CI subset)"
	@echo "make load   20 ansible-playbook processes waiting at once on one fleetsim (load-quick: 9, the CI subset)"
	@echo "make dist   build the collection tarball into dist/ (ansible-galaxy collection build)"
	@echo "make docs   build the docs site into build/docsite/sphinx/build/html (antsibull-docs, Sphinx, -W)"
	@echo "make changelog  release $(VERSION) in CHANGELOG.rst from changelogs/fragments (run after merging)"

$(VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) "$(CORE_SPEC)" -r tests/requirements-dev.txt -e "tests/fleetsim[peer]"
	touch $@

# The oldest ansible-core also gets the oldest libraries requirements.txt allows (its lower bounds,
# pinned), so the integration targets and the installed-copy test on 2.17 prove those bounds.
$(OLDEST_VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install $(PIP_FLAGS) "$(OLDEST_CORE_SPEC)" -r requirements.txt \
		-c <(grep -E '^[A-Za-z]' requirements.txt | sed 's/>=/==/') "moto[server,ssm,logs]>=5.0" pytest -e tests/fleetsim
	touch $@

setup: $(VENV)/.installed

# ansible-playbook finds collections under an ansible_collections/<namespace>/<name> path: the
# demo links the working tree there (build/ is git-ignored), so it always runs the current code.
DEMO_COLLECTIONS := build/collections
DEMO_LINK := $(DEMO_COLLECTIONS)/ansible_collections/multicloud/invocations

# Made under a temporary name and renamed into place: steps of `make test` that run side by side
# may make it at the same time.
$(DEMO_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@.$$$$ && mv -Tf $@.$$$$ $@

demo: $(VENV)/.installed $(DEMO_LINK)
	@$(RUN) ANSIBLE_COLLECTIONS_PATH=$(abspath $(DEMO_COLLECTIONS)) tests/utils/with-fleetsim.sh --fleet docs/examples/fleet.yml -- \
		ansible-playbook -i docs/examples/inventory.ini docs/examples/demo.yml

# pytest-xdist spreads the fleetsim tests over the cores (each test starts its own fleetsim).
fleetsim-test: $(VENV)/.installed
	$(RUN) python -m pytest -q -n auto tests/fleetsim/tests

units: $(VENV)/.installed
	$(RUN) tests/run-ansible-test.sh units --venv --python 3.11 --color no

sanity: $(VENV)/.installed
	$(RUN) tests/run-ansible-test.sh sanity --venv --python 3.11 --color no

# The same tests in two halves that `make test` runs side by side, each in its own ansible-test
# tree: pylint alone takes about as long as every other sanity test together.
sanity-pylint: $(VENV)/.installed
	$(RUN) ANSIBLE_TEST_TREE_LABEL=sanity-pylint-2.19 tests/run-ansible-test.sh sanity --venv --python 3.11 --color no --test pylint

sanity-other: $(VENV)/.installed
	$(RUN) ANSIBLE_TEST_TREE_LABEL=sanity-other-2.19 tests/run-ansible-test.sh sanity --venv --python 3.11 --color no --skip-test pylint

# The integration targets run in INTEGRATION_LANES lanes side by side (tests/utils/lanes.py splits
# what ansible-test lists by tests/utils/integration-times.txt). Each lane has its own fleetsim,
# moto_server, ansible-test tree, log (tests/output/lanes/) and random secrets, and a scan of
# everything it wrote (tests/output/secret-scan/lane-N) for them, at -vvvv.
# LANE=N runs lane N alone; TARGETS="a b" runs just those targets (in lane-1's folders).
INTEGRATION_LANES ?= 3
LANE_ARGS = --lanes $(INTEGRATION_LANES) $(if $(LANE),--lane $(LANE)) $(if $(TARGETS),--targets "$(TARGETS)")

integration: $(VENV)/.installed
	$(RUN) python tests/utils/lanes.py --name integration $(LANE_ARGS) -- \
		tests/utils/integration-secrets-scanned.sh tests/output/secret-scan/{lane} -- \
		tests/utils/with-fleetsim.sh --fleet tests/integration/fleet.yml -- \
		tests/utils/run-integration.sh --python 3.11 --color no -vvvv

# Every example of the README, the guides and the plugins' EXAMPLES, extracted and run against
# fleetsim as written (tests/examples; fixtures.yml says what each one claims).
examples: $(VENV)/.installed
	$(RUN) python -m pytest -q -n 2 -p no:cacheprovider tests/examples

# The same examples on the oldest ansible-core (and the oldest libraries), one at a time: most of
# an example's time is spent waiting on its fleetsim, so one process keeps the CPU it takes small.
# Tools that do not depend on ansible-core (ansible-builder for the execution environment example)
# come from .venv, after the oldest venv on PATH.
examples-oldest: $(OLDEST_VENV)/.installed $(VENV)/.installed
	$(RUN_OLDEST) PATH="$(abspath $(OLDEST_VENV))/bin:$(abspath $(VENV))/bin:$$PATH" python -m pytest -q -p no:cacheprovider tests/examples

lint: $(VENV)/.installed
	$(RUN) ansible-lint

# The oldest ansible-core that meta/runtime.yml claims: units and integration (in lanes, as above).
test-oldest: units-oldest integration-oldest examples-oldest

units-oldest: $(OLDEST_VENV)/.installed
	$(RUN_OLDEST) tests/run-ansible-test.sh units --venv --python 3.11 --color no

integration-oldest: $(OLDEST_VENV)/.installed
	$(RUN_OLDEST) python tests/utils/lanes.py --name integration-oldest $(LANE_ARGS) --skip-listed tests/integration/oldest-core-skip.txt -- \
		tests/utils/with-fleetsim.sh --fleet tests/integration/fleet.yml -- \
		tests/utils/run-integration.sh --python 3.11 --color no

# The benchmark (tests/bench): the AWS CLI gets its own venv because awscli pins botocore exactly and
# would move boto3 in .venv; matplotlib (the chart) is installed for `make bench` only.
BENCH_AWSCLI_VENV := .venvs/bench-awscli

$(BENCH_AWSCLI_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(BENCH_AWSCLI_VENV)
	$(BENCH_AWSCLI_VENV)/bin/python -m pip install $(PIP_FLAGS) awscli
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed tests/bench/requirements.txt
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) -r tests/bench/requirements.txt
	touch $@

# `make bench BENCH_QUICK=1` is the quick run; it writes to build/bench-quick, never over docs/.
BENCH_OUT = $(if $(filter 1,$(BENCH_QUICK)),build/bench-quick,docs)

bench: $(VENV)/.bench-installed $(BENCH_AWSCLI_VENV)/.installed $(DEMO_LINK)
	$(RUN) python tests/bench/bench.py --out $(BENCH_OUT) --awscli-bin $(abspath $(BENCH_AWSCLI_VENV))/bin

# What a wait's result weighs where AWX and ansible-navigator keep it (ansible-runner's job event, which
# empties a result over 700,000 characters) and what a failed wait prints (tests/bench/result_size.py).
result-size: $(VENV)/.bench-installed $(DEMO_LINK)
	$(RUN) python tests/bench/result_size.py --instances 1000
	$(RUN) python tests/bench/result_size.py --instances 1000 --failure-rate 0.03
	$(RUN) python tests/bench/result_size.py --instances 10000 --failure-rate 0.03

# CI smoke run (part of `make test`): small fleets, only has to complete; writes to build/bench-quick.
bench-quick: $(VENV)/.installed $(DEMO_LINK)
	$(RUN) BENCH_QUICK=1 python tests/bench/bench.py --out build/bench-quick

# Faults and load (docs/reliability.md). The playbooks use the working tree through the demo's link.
CHAOS_SEEDS ?= 3
chaos: $(VENV)/.installed $(DEMO_LINK)
	$(RUN) ANSIBLE_COLLECTIONS_PATH=$(abspath $(DEMO_COLLECTIONS)) python tests/chaos/chaos.py --seeds $(CHAOS_SEEDS) \
		$(if $(filter 1,$(CHAOS_QUICK)),--quick) --table build/chaos-table.md

chaos-quick:
	$(MAKE) chaos CHAOS_QUICK=1

load: $(VENV)/.installed $(DEMO_LINK)
	$(RUN) ANSIBLE_COLLECTIONS_PATH=$(abspath $(DEMO_COLLECTIONS)) python tests/chaos/load.py $(LOAD_ARGS)

# The subset `make test` runs: one process per provider and per kind of wait (bulk, check, both),
# so every combination the full run checks is still checked, in about half its CPU.
load-quick:
	$(MAKE) load LOAD_ARGS="--processes 9 --seconds 30"

# Event-Driven Ansible (extensions/eda): ansible-rulebook runs the example rulebook with the
# collection's event source against fleetsim and moto's SQS (tests/eda/test_rulebook.py). It gets
# its own venv (it pins its own libraries) and a Java runtime, which tests/eda/ensure-java.sh
# installs from the Debian packages when it is missing (as root; otherwise it says what to run).
EDA_VENV := .venvs/eda

$(EDA_VENV)/.installed: tests/eda/requirements.txt requirements.txt tests/fleetsim/pyproject.toml tests/eda/ensure-java.sh
	tests/eda/ensure-java.sh
	$(PYTHON) -m venv $(EDA_VENV)
	$(EDA_VENV)/bin/python -m pip install $(PIP_FLAGS) -r tests/eda/requirements.txt -e tests/fleetsim
	touch $@

# ansible-rulebook and the source run in .venvs/eda; the playbook the rulebook starts runs on that
# venv's ansible-core 2.19, then on the oldest venv's 2.17 (EDA_OLDEST_VENV). The source's unit tests
# are in tests/unit (make units, units-oldest).
eda: $(EDA_VENV)/.installed $(OLDEST_VENV)/.installed
	$(call in_venv,$(EDA_VENV)) EDA_OLDEST_VENV=$(abspath $(OLDEST_VENV)) python -m pytest -q -p no:cacheprovider tests/eda

# --- Release: tarball, docs site, changelog, execution environment (README "Releasing") ---
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)

# The tarball users install; build_ignore in galaxy.yml keeps local and generated files out.
dist: $(VENV)/.installed
	$(RUN) tests/release/build-dist.sh

# The site: every plugin's and the role's own documentation plus docs/docsite/rst, built from the
# installed tarball; Sphinx runs with -W, so any warning fails.
docs: $(VENV)/.installed
	$(RUN) tests/release/build-docs.sh

# Moves every fragment in changelogs/fragments into the $(VERSION) release of changelogs/changelog.yaml
# and regenerates CHANGELOG.rst. Re-run after merging branches that add fragments: fragments for a
# release that already exists are added to it.
changelog: $(VENV)/.installed
	$(RUN) antsibull-changelog release --version $(VERSION)
	$(RUN) antsibull-changelog lint

changelog-lint: $(VENV)/.installed
	$(RUN) antsibull-changelog lint

# What CI checks of the release: fragments lint, the status-model page is current, the tarball
# holds only tracked files and installs into an empty path where every plugin and the role run
# against fleetsim, ansible-builder takes our EE files, and the docs site builds without warnings.
# The installed copy runs on the oldest ansible-core that meta/runtime.yml claims too.
# The steps after release-checks use the tarball it built (build-dist.sh --if-stale rebuilds it
# only when a file changed since), so `make test` builds the tarball and the docs site once.
release-test: release-checks release-installed release-installed-oldest release-ee release-docs

release-checks: changelog-lint $(VENV)/.installed
	$(RUN) python -m pytest -q tests/release
	$(RUN) python tests/release/status_model.py --check
	$(RUN) tests/release/build-dist.sh --check-ignores

release-installed: $(VENV)/.installed
	$(RUN) tests/release/build-dist.sh --if-stale
	$(RUN) tests/release/test-installed.sh

release-installed-oldest: $(VENV)/.installed $(OLDEST_VENV)/.installed
	$(RUN) tests/release/build-dist.sh --if-stale
	$(RUN_OLDEST) tests/release/test-installed.sh

release-ee: $(VENV)/.installed
	$(RUN) tests/release/build-dist.sh --if-stale
	$(RUN) tests/release/test-ee.sh

release-docs: $(VENV)/.installed
	$(RUN) tests/release/build-docs.sh

# Every step below, side by side as far as 2 cores allow (tests/utils/run-steps.py: the order, the
# measured times and which steps wait for which); each step writes build/test-logs/STEP.log, a
# failed step's log end is printed, and a table of the steps' wall and CPU times ends the run.
# `make test-serial` runs the same steps one after the other.
TEST_STEPS_ARGS ?=
test:
	$(PYTHON) tests/utils/run-steps.py --lanes $(INTEGRATION_LANES) $(TEST_STEPS_ARGS)

test-serial:
	$(PYTHON) tests/utils/run-steps.py --lanes $(INTEGRATION_LANES) --jobs 1 $(TEST_STEPS_ARGS)

clean:
	rm -rf $(VENV) .venvs dist build tests/output
