#!/usr/bin/env bash
# The execution-environment files work with ansible-builder: `ansible-builder create` on the example
# definition (tests/release/ee/) makes a build context, and the steps that context's image build
# runs to find dependencies - install the collection from the context, then the context's own
# introspect script - name every line of requirements.txt and bindep.txt as ours.
# No container is built (no image registry here); everything the build would decide is checked.
#
# Usage: tests/release/test-ee.sh   (after tests/release/build-dist.sh)
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
version=$(sed -n 's/^version: *//p' galaxy.yml)
tarball=multicloud-invocations-$version.tar.gz
[ -s "dist/$tarball" ] || { echo "dist/$tarball is missing: run make dist first" >&2; exit 1; }
grep -qF "$tarball" tests/release/ee/execution-environment.yml tests/release/ee/requirements.yml || {
  echo "tests/release/ee/ does not name $tarball: update it to version $version" >&2
  exit 1
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp tests/release/ee/execution-environment.yml tests/release/ee/requirements.yml "dist/$tarball" "$scratch/"

(cd "$scratch" && ansible-builder create --file execution-environment.yml --context context >/dev/null)
context=$scratch/context
containerfile=
for candidate in "$context/Containerfile" "$context/Dockerfile"; do
  [ -f "$candidate" ] && containerfile=$candidate && break
done
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

[ -n "$containerfile" ] || fail "ansible-builder create wrote no Containerfile or Dockerfile"
grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$containerfile" || fail "the image build does not install the galaxy requirements"
grep -q 'introspect.py introspect' "$containerfile" || fail "the image build does not introspect the collections' dependencies"
cmp -s "dist/$tarball" "$context/_build/collections/$tarball" || fail "the context does not carry dist/$tarball"

# The galaxy stage of the image build, on this machine: install from the context's requirements.
(cd "$context/_build" && ansible-galaxy collection install -r requirements.yml --collections-path "$scratch/usr-share-ansible/collections" >/dev/null 2>&1) ||
  fail "ansible-galaxy could not install the context's requirements.yml"

# The builder stage: the context's own introspect script over what was installed.
python "$context/_build/scripts/introspect.py" introspect "$scratch/usr-share-ansible/collections" \
  --write-pip "$scratch/pip.txt" --write-bindep "$scratch/bindep.txt" >/dev/null
for pair in "requirements.txt:pip.txt" "bindep.txt:bindep.txt"; do
  ours=${pair%%:*} theirs=$scratch/${pair##*:}
  while IFS= read -r line; do
    line=${line%%#*}
    line=${line%"${line##*[![:space:]]}"}
    [ -n "$line" ] || continue
    grep -qxF "$line  # from collection multicloud.invocations" "$theirs" ||
      fail "the image build would not install '$line' from our $ours (it would install: $(tr '\n' ';' <"$theirs"))"
  done <"$ours"
done

if [ "$failures" -gt 0 ]; then
  exit 1
fi
echo "ansible-builder create: the context installs $tarball and names $(grep -c . "$scratch/pip.txt") Python and $(grep -c . "$scratch/bindep.txt") system dependencies of ours"
