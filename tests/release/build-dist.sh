#!/usr/bin/env bash
# Build the collection tarball into dist/ with `ansible-galaxy collection build`, then check it.
#
# Usage: tests/release/build-dist.sh [--check-ignores | --if-stale]
#   --check-ignores  also build from a scratch copy of the tracked files in which the local files a
#                    developer or CI leaves behind (tests/output, .ansible, caches, the generated
#                    integration inventory, venvs, build/) were planted, and fail if any of them
#                    reaches the tarball: this proves galaxy.yml's build_ignore, not just this tree.
#   --if-stale       keep the tarball in dist/ when it is newer than every file git lists (the
#                    steps of `make test` that use it then share one build); check it either way.
#
# Either way the tarball in dist/ may hold only files git tracks (plus the MANIFEST.json and
# FILES.json that the build writes), and must hold what users and ansible-builder need.
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
check_ignores=false if_stale=false
[ "${1:-}" = "--check-ignores" ] && check_ignores=true
[ "${1:-}" = "--if-stale" ] && if_stale=true

version=$(sed -n 's/^version: *//p' galaxy.yml)
tarball=dist/multicloud-invocations-$version.tar.gz
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Paths that must be in every release.
required=(
  MANIFEST.json FILES.json README.md CHANGELOG.rst COPYING requirements.txt bindep.txt
  meta/runtime.yml meta/execution-environment.yml
  plugins/modules/invocation_info.py plugins/modules/invocation_wait.py plugins/modules/invocation_run.py plugins/modules/agent_info.py
  plugins/lookup/invocation.py roles/invocation_gate/meta/argument_specs.yml
  docs/docsite/extra-docs.yml docs/docsite/links.yml docs/docsite/rst/status_model.rst
)

# check_tarball TARBALL ALLOWED_LIST: every member is allowed, every required path is there.
check_tarball() {
  local tarball=$1 allowed=$2 members=$scratch/members status=0
  tar -tzf "$tarball" | grep -v '/$' | sed 's|^\./||' | sort >"$members"
  local extra
  extra=$(comm -23 "$members" <(printf '%s\n' MANIFEST.json FILES.json | cat - "$allowed" | sort -u))
  if [ -n "$extra" ]; then
    echo "FAIL: $tarball holds files that git does not track (git add them, or add them to build_ignore in galaxy.yml):" >&2
    while IFS= read -r path; do echo "  $path"; done <<<"$extra" >&2
    status=1
  fi
  for path in "${required[@]}"; do
    if ! grep -qxF "$path" "$members"; then
      echo "FAIL: $tarball lacks $path" >&2
      status=1
    fi
  done
  return $status
}

git ls-files | sort >"$scratch/tracked"
mkdir -p dist
# Steps of `make test` that run side by side build one after the other, never into the same file.
exec 9>dist/.build-lock
flock 9
# Fresh: the tarball exists and no file git lists (tracked or new) has changed since it was built.
fresh() {
  [ -s "$tarball" ] && [ -z "$(git ls-files -co --exclude-standard -z | xargs -0 -r find 2>/dev/null -newer "$tarball" -print -quit)" ]
}
if $if_stale && fresh; then
  echo "$tarball is newer than every file git lists: kept"
else
  rm -f "$tarball"
  ansible-galaxy collection build --force --output-path dist . >/dev/null
fi
check_tarball "$tarball" "$scratch/tracked"
echo "built $tarball ($(tar -tzf "$tarball" | grep -vc '/$') files, $(du -k "$tarball" | cut -f1) KiB)"

if $check_ignores; then
  copy=$scratch/tree
  mkdir -p "$copy"
  git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$copy"
  # What a working tree collects: each of these must stay out of the tarball.
  decoys=(
    tests/output/junit/units.xml .ansible/roles/cache.json tests/integration/inventory
    tests/integration/integration_config.yml tests/integration/cloud-config-aws.ini
    plugins/module_utils/__pycache__/_record.cpython-311.pyc .pytest_cache/v/cache/nodeids
    tests/fleetsim/fleetsim.egg-info/PKG-INFO .venv/pyvenv.cfg .venvs/ansible-core-2.17/pyvenv.cfg
    build/demo-reports/gate.json build/docsite/conf.py dist/old.tar.gz changelogs/.plugin-cache.yaml
    multicloud-invocations-0.9.0.tar.gz
  )
  for decoy in "${decoys[@]}"; do
    mkdir -p "$copy/$(dirname "$decoy")"
    echo decoy >"$copy/$decoy"
  done
  (cd "$copy" && ansible-galaxy collection build --force --output-path "$scratch/out" . >/dev/null)
  check_tarball "$scratch/out/multicloud-invocations-$version.tar.gz" "$scratch/tracked"
  echo "build_ignore keeps ${#decoys[@]} kinds of local files out of the tarball"
fi
