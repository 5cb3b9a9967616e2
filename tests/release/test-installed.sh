#!/usr/bin/env bash
# Install the release tarball into an empty collections path and run tests/release/installed.yml,
# which uses every module, the lookup and the role, from that installed copy against fleetsim.
# The playbook runs from a scratch directory with only that path configured, so the working
# tree cannot be picked up instead; ansible-doc must also resolve every plugin and the role there.
#
# Usage: tests/release/test-installed.sh   (after tests/release/build-dist.sh)
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
version=$(sed -n 's/^version: *//p' "$root/galaxy.yml")
tarball=$root/dist/multicloud-invocations-$version.tar.gz
[ -s "$tarball" ] || { echo "$tarball is missing: run make dist first" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
collections=$scratch/collections
installed=$collections/ansible_collections/multicloud/invocations
mkdir -p "$collections"
cp "$root/tests/release/installed.yml" "$scratch/"
printf 'localhost ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"\n' >"$scratch/inventory.ini"
cd "$scratch"

export ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCAL_TEMP=$scratch/tmp ANSIBLE_NOCOLOR=1
ansible-galaxy collection install --offline "$tarball" >/dev/null
ansible-galaxy collection list multicloud.invocations | grep -q "^multicloud.invocations *$version" ||
  { echo "FAIL: ansible-galaxy does not list multicloud.invocations $version in $collections" >&2; exit 1; }

for plugin in module:invocation_info module:invocation_wait module:invocation_run module:agent_info lookup:invocation role:invocation_gate; do
  type=${plugin%%:*} name=multicloud.invocations.${plugin#*:}
  doc=$(ansible-doc -t "$type" "$name")
  if [ "$type" != role ] && ! grep -qF "($installed/plugins/" <<<"$doc"; then
    echo "FAIL: ansible-doc found $name outside $installed" >&2
    exit 1
  fi
  grep -q "$name\|ENTRY POINT" <<<"$doc" || { echo "FAIL: ansible-doc -t $type $name printed no documentation" >&2; exit 1; }
done

"$root/tests/utils/with-fleetsim.sh" --fleet "$root/tests/release/fleet.yml" -- \
  ansible-playbook -i inventory.ini installed.yml >"$scratch/playbook.log" 2>&1 || {
  cat "$scratch/playbook.log" >&2
  echo "FAIL: the playbook against the installed collection failed" >&2
  exit 1
}
grep -q "INSTALLED COPY OK" "$scratch/playbook.log"
grep -E '^localhost' "$scratch/playbook.log"
echo "installed $(basename "$tarball") into an empty collections path: 3 modules, the lookup and the role ran against fleetsim ($(ansible --version | sed -n 1p))"
