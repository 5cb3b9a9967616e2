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

.PHONY: help setup demo test fleetsim-test units sanity integration lint test-oldest clean

help:
	@echo "make demo   run a command on a simulated fleet, wait, gate, print the verdict"
	@echo "make test   fleetsim tests, units, sanity, integration, ansible-lint, oldest ansible-core"

$(VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(CORE_SPEC)" -r tests/requirements-dev.txt -e "tests/fleetsim[peer]"
	touch $@

$(OLDEST_VENV)/.installed: $(DEV_INPUTS)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "$(OLDEST_CORE_SPEC)" -r requirements.txt "moto[server,ssm]>=5.0" pytest -e tests/fleetsim
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

lint: $(VENV)/.installed
	$(RUN) ansible-lint

# The oldest ansible-core that meta/runtime.yml claims: units and integration.
test-oldest: $(OLDEST_VENV)/.installed
	$(RUN_OLDEST) tests/run-ansible-test.sh units --venv --python 3.11 --color no
	$(RUN_OLDEST) tests/utils/with-fleetsim.sh --fleet tests/integration/fleet.yml -- \
		tests/utils/run-integration.sh --python 3.11 --color no

test: fleetsim-test units sanity integration lint test-oldest

clean:
	rm -rf $(VENV) .venvs dist build tests/output
