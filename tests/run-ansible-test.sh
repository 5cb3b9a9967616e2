#!/usr/bin/env bash
# Run ansible-test from a physical ansible_collections/multicloud/invocations tree.
#
# ansible-test resolves the physical working directory and refuses a symlinked checkout, so the
# git-listed files are copied into a scratch tree first (never symlinked). ansible-test also
# bootstraps pip into every venv it creates by downloading get-pip.py from a server that is not
# reachable here; an ensurepip-based stand-in is written into its cache instead.
#
# Usage: tests/run-ansible-test.sh sanity|units|integration [ansible-test options...]
# Environment: ANSIBLE_TEST_TREE (scratch root), INTEGRATION_CONFIG (file copied to
# tests/integration/integration_config.yml in the tree), ANSIBLE_TEST_RESULTS (where to copy
# tests/output afterwards).
set -euo pipefail

ns=${COLLECTION_NAMESPACE:-multicloud}
name=${COLLECTION_NAME:-invocations}
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
tree_root=${ANSIBLE_TEST_TREE:-${TMPDIR:-/tmp}/mci-ansible-test-$(printf '%s' "$root" | sha1sum | cut -c1-10)}
dest=$tree_root/ansible_collections/$ns/$name

rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$dest"
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
  cat > "$stand_in" <<'PY'
# Offline stand-in for get-pip.py, written by multicloud.invocations' tests/run-ansible-test.sh.
# ensurepip runs in a child process so that the pip.conf of this machine stays in effect.
import subprocess
import sys

rc = subprocess.call([sys.executable, "-m", "ensurepip", "--upgrade"])
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(rc or subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
fi

status=0
(cd "$dest" && ansible-test "$@") || status=$?
if [ -n "${ANSIBLE_TEST_RESULTS:-}" ] && [ -d "$dest/tests/output" ]; then
  mkdir -p "$ANSIBLE_TEST_RESULTS"
  cp -r "$dest/tests/output/." "$ANSIBLE_TEST_RESULTS/"
fi
exit $status
