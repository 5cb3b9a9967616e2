#!/usr/bin/env bash
# Run ansible-test from a physical ansible_collections/multicloud/invocations tree.
#
# ansible-test resolves the physical working directory and refuses a symlinked checkout, so the
# git-listed files are copied into a scratch tree first (never symlinked). ansible-test also
# bootstraps pip into every venv it creates by downloading get-pip.py from a server that is not
# reachable here; an ensurepip-based stand-in is written into its cache instead.
#
# Each command and ansible-core version gets its own scratch tree (units, sanity, integration on 2.17
# and 2.19, and every integration lane of `make test` run side by side), so that one run never
# deletes the tree of another; a lock on the tree makes a second run of the same kind wait instead.
# The tree's copy of the collection is fresh every run, but the virtual environment that `--venv`
# makes in it (tests/output/.tmp/delegation) is kept: ansible-test reuses it and only installs
# what changed, so each tree builds its venv once per clone, not once per run.
#
# Usage: tests/run-ansible-test.sh sanity|units|integration [ansible-test options...]
# Environment: ANSIBLE_TEST_TREE (scratch root; default: one per checkout, command and
# ansible-core version under $TMPDIR), ANSIBLE_TEST_TREE_LABEL (replaces the command and version in
# that default name, e.g. integration-2.19-lane-2), INTEGRATION_CONFIG (file copied to
# tests/integration/integration_config.yml in the tree), ANSIBLE_TEST_RESULTS (where to copy
# tests/output afterwards).
set -euo pipefail

ns=${COLLECTION_NAMESPACE:-multicloud}
name=${COLLECTION_NAME:-invocations}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
if [ -z "${ANSIBLE_TEST_TREE:-}" ]; then
  core=$(ansible-test --version | sed -n 's/^ansible-test version \([0-9]*\.[0-9]*\).*/\1/p')
  label=${ANSIBLE_TEST_TREE_LABEL:-${1:-run}-${core:-core}}
  ANSIBLE_TEST_TREE=${TMPDIR:-/tmp}/mci-ansible-test-$(printf '%s' "$root" | sha1sum | cut -c1-10)-$label
fi
tree_root=$ANSIBLE_TEST_TREE
dest=$tree_root/ansible_collections/$ns/$name
delegation=$dest/tests/output/.tmp/delegation
kept=$tree_root/kept-delegation

mkdir -p "$tree_root"
exec 9>"$tree_root/.lock"
if ! flock -n 9; then
  echo "waiting for another run in $tree_root to end" >&2
  flock 9
fi
rm -rf "$kept"
if [ -d "$delegation" ]; then
  mv "$delegation" "$kept"
fi
rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$dest"
if [ -d "$kept" ]; then
  mkdir -p "$(dirname "$delegation")"
  mv "$kept" "$delegation"
fi
if [ -n "${INTEGRATION_CONFIG:-}" ]; then
  cp "$INTEGRATION_CONFIG" "$dest/tests/integration/integration_config.yml"
fi

pip_version=$(python - <<'PY'
import pathlib
import re
import ansible_test
source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)
stand_in=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -s "$stand_in" ]; then
  mkdir -p "$(dirname "$stand_in")"
  # Written under a temporary name and renamed: runs side by side must never read half a file.
  cat > "$stand_in.$$" <<'PY'
# Offline stand-in for get-pip.py, written by multicloud.invocations' tests/run-ansible-test.sh.
# ensurepip runs in a child process so that the pip.conf of this machine stays in effect.
import subprocess
import sys

rc = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(rc or subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
  mv -f "$stand_in.$$" "$stand_in"
fi

status=0
(cd "$dest" && ansible-test "$@") || status=$?
if [ -n "${ANSIBLE_TEST_RESULTS:-}" ] && [ -d "$dest/tests/output" ]; then
  mkdir -p "$ANSIBLE_TEST_RESULTS"
  cp -r "$dest/tests/output/." "$ANSIBLE_TEST_RESULTS/"
fi
exit $status
