#!/usr/bin/env bash
# Build the docs site into build/docsite/build/html, failing on any warning.
#
# 1. Regenerate docs/docsite/rst/status_model.rst from the code's status tables.
# 2. Build the tarball (tests/release/build-dist.sh, unless the one in dist/ is newer than every
#    file) and install it into build/docsite/collections,
#    so the site documents exactly what users install: every module, the lookup and the role from
#    their own DOCUMENTATION / argument_specs, plus the guides in docs/docsite/rst.
# 3. antsibull-docs lint-collection-docs --plugin-docs: the extra docs and every plugin's markup.
# 4. antsibull-docs sphinx-init + build: Sphinx with -W (warnings are errors), nitpicky.
#
# The machine has no internet access, and CI neither: intersphinx cannot download the Ansible
# docs inventory, so tests/release/docs_inventory.py writes a small one holding just the labels
# the generated pages link to (each pointing at its page on docs.ansible.com).
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
version=$(sed -n 's/^version: *//p' galaxy.yml)
site=$root/build/docsite
collections=$site/collections

python tests/release/status_model.py
tests/release/build-dist.sh --if-stale >/dev/null
rm -rf "$site"
mkdir -p "$collections" "$site/sphinx"
chmod 755 "$site/sphinx"
ansible-galaxy collection install --offline --force -p "$collections" "dist/multicloud-invocations-$version.tar.gz" >/dev/null 2>&1
installed=$collections/ansible_collections/multicloud/invocations

export ANSIBLE_COLLECTIONS_PATH=$collections ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
antsibull-docs lint-collection-docs --plugin-docs "$installed"

antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error \
  --project multicloud.invocations --copyright "contributors to multicloud.invocations" \
  --title "multicloud.invocations" --html-short-title "multicloud.invocations" \
  --dest-dir "$site/sphinx" multicloud.invocations >/dev/null
python tests/release/docs_inventory.py "$site/sphinx/ansible_devel.inv"
# Offline: only the Ansible inventory written above, no downloads.
cat >>"$site/sphinx/conf.py" <<'PY'

# Added by tests/release/build-docs.sh: no network, so intersphinx reads a local inventory only.
intersphinx_mapping = {
    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv'),
}
PY
(cd "$site/sphinx" && ./build.sh >"$site/build.log" 2>&1) || {
  cat "$site/build.log" >&2
  echo "FAIL: the docs site did not build cleanly (warnings are errors); log: $site/build.log" >&2
  exit 1
}
pages=$(find "$site/sphinx/build/html" -name '*.html' | wc -l)
for page in invocation_info_module invocation_wait_module invocation_run_module agent_info_module invocation_lookup invocation_gate_role \
  docsite/getting_started docsite/status_model docsite/ci_gating docsite/migrating docsite/troubleshooting; do
  [ -s "$site/sphinx/build/html/$page.html" ] || { echo "FAIL: the site has no $page.html" >&2; exit 1; }
done
echo "docs site: $pages pages in $site/sphinx/build/html, no warnings"
