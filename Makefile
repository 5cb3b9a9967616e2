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

# Run a recipe with a virtualenv first on PATH (ansible-test and the scripts find python there).
in_venv = PATH="$(abspath $(1))/bin:$$PATH" VIRTUAL_ENV="$(abspath $(1))"
RUN := $(call in_venv,$(VENV))
RUN_OLDEST := $(call in_venv,$(OLDEST_VENV))

.PHONY: help setup demo test fleetsim-test units sanity integration examples lint test-oldest clean \
	bench bench-quick chaos chaos-quick load dist docs changelog changelog-lint release-test

help:
	@echo "make demo   run a command on a simulated fleet, wait, gate, print the verdict"
	@echo "make test   fleetsim tests, units, sanity, integration, ansible-lint, oldest ansible-core"
	@echo "make bench  API calls, detection lag and cost of waiting against the peers -> docs/performance.md"
	@echo "make chaos  every provider's waits under every fleetsim fault, 3 seeds (CHAOS_QUICK=1: the CI subset)"
	@echo "make load   20 ansible-playbook processes waiting at once on one fleetsim"
	@echo "make dist   build the collection tarball into dist/ (ansible-galaxy collection build)"
	@echo "make docs   build the docs site into build/docsite/sphinx/build/html (antsibull-docs, Sphinx, -W)"
	@echo "make changelog  release $(VERSION) in CHANGELOG.rst from changelogs/fragments (run after merging)"

$(VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(CORE_SPEC)" -r tests/requirements-dev.txt -e "tests/fleetsim[peer]"
	touch $@

# The oldest ansible-core also gets the oldest libraries requirements.txt allows (its lower bounds,
# pinned), so the integration targets and the installed-copy test on 2.17 prove those bounds.
$(OLDEST_VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(OLDEST_CORE_SPEC)" -r requirements.txt \
		-c <(grep -E '^[A-Za-z]' requirements.txt | sed 's/>=/==/') "moto[server,ssm]>=5.0" pytest -e tests/fleetsim
	touch $@

setup: $(VENV)/.installed

# ansible-playbook finds collections under an ansible_collections/<namespace>/<name> path: the
# demo links the working tree there (build/ is git-ignored), so it always runs the current code.
DEMO_COLLECTIONS := build/collections
DEMO_LINK := $(DEMO_COLLECTIONS)/ansible_collections/multicloud/invocations

$(DEMO_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

demo: $(VENV)/.installed $(DEMO_LINK)
	@$(RUN) ANSIBLE_COLLECTIONS_PATH=$(abspath $(DEMO_COLLECTIONS)) tests/utils/with-fleetsim.sh --fleet docs/examples/fleet.yml -- \
		ansible-playbook -i docs/examples/inventory.ini docs/examples/demo.yml

fleetsim-test: $(VENV)/.installed
	$(RUN) python -m pytest -q tests/fleetsim/tests

units: $(VENV)/.installed
	$(RUN) tests/run-ansible-test.sh units --venv --python 3.11 --color no

sanity: $(VENV)/.installed
	$(RUN) tests/run-ansible-test.sh sanity --venv --python 3.11 --color no

# Random secrets, -vvvv, and a scan of everything the run wrote (tests/output/secret-scan) for them.
integration: $(VENV)/.installed
	$(RUN) tests/utils/integration-secrets-scanned.sh tests/output/secret-scan -- \
		tests/utils/with-fleetsim.sh --fleet tests/integration/fleet.yml -- \
		tests/utils/run-integration.sh --python 3.11 --color no -vvvv

# Every example of the README, the guides and the plugins' EXAMPLES, extracted and run against
# fleetsim as written (tests/examples; fixtures.yml says what each one claims).
examples: $(VENV)/.installed
	$(RUN) python -m pytest -q -p no:cacheprovider tests/examples

lint: $(VENV)/.installed
	$(RUN) ansible-lint

# The oldest ansible-core that meta/runtime.yml claims: units and integration.
test-oldest: $(OLDEST_VENV)/.installed
	$(RUN_OLDEST) tests/run-ansible-test.sh units --venv --python 3.11 --color no
	$(RUN_OLDEST) tests/utils/with-fleetsim.sh --fleet tests/integration/fleet.yml -- \
		tests/utils/run-integration.sh --python 3.11 --color no

# The benchmark (tests/bench): the AWS CLI gets its own venv because awscli pins botocore exactly and
# would move boto3 in .venv; matplotlib (the chart) is installed for `make bench` only.
BENCH_AWSCLI_VENV := .venvs/bench-awscli

$(BENCH_AWSCLI_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(BENCH_AWSCLI_VENV)
	$(BENCH_AWSCLI_VENV)/bin/python -m pip install --quiet --disable-pip-version-check awscli
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed tests/bench/requirements.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/bench/requirements.txt
	touch $@

# `make bench BENCH_QUICK=1` is the quick run; it writes to build/bench-quick, never over docs/.
BENCH_OUT = $(if $(filter 1,$(BENCH_QUICK)),build/bench-quick,docs)

bench: $(VENV)/.bench-installed $(BENCH_AWSCLI_VENV)/.installed $(DEMO_LINK)
	$(RUN) python tests/bench/bench.py --out $(BENCH_OUT) --awscli-bin $(abspath $(BENCH_AWSCLI_VENV))/bin

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
	$(RUN) ANSIBLE_COLLECTIONS_PATH=$(abspath $(DEMO_COLLECTIONS)) python tests/chaos/load.py

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
release-test: changelog-lint $(VENV)/.installed $(OLDEST_VENV)/.installed
	$(RUN) python -m pytest -q tests/release
	$(RUN) python tests/release/status_model.py --check
	$(RUN) tests/release/build-dist.sh --check-ignores
	$(RUN) tests/release/test-installed.sh
	$(RUN_OLDEST) tests/release/test-installed.sh
	$(RUN) tests/release/test-ee.sh
	$(RUN) tests/release/build-docs.sh

test: fleetsim-test units sanity integration examples lint test-oldest release-test bench-quick chaos-quick load

clean:
	rm -rf $(VENV) .venvs dist build tests/output
