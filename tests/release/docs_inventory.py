# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a Sphinx objects inventory for the Ansible docs labels our pages link to.

antsibull-docs' generated pages refer to a few labels of the Ansible documentation
(``common_return_values`` ...), which Sphinx resolves through intersphinx. Without network access
the real inventory cannot be downloaded, so this writes one with just those labels, each
pointing at its page under https://docs.ansible.com/projects/ansible/devel/.
A label missing here makes the build fail (nitpicky, -W): add it with its page.

Usage: docs_inventory.py OUTPUT
"""

from __future__ import annotations

import sys
import zlib

# label: (page relative to the docs root, anchor, title)
LABELS = {
    "ansible_configuration_settings": ("reference_appendices/config.html", "ansible-configuration-settings", "Ansible Configuration Settings"),
    "common_return_values": ("reference_appendices/common_return_values.html", "common-return-values", "Return Values"),
    "action_plugins": ("plugins/action.html", "action-plugins", "Action plugins"),
    "collections_installing": ("collections_guide/collections_installing.html", "collections-installing", "Installing collections"),
    "playbooks_lookups": ("playbook_guide/playbooks_lookups.html", "playbooks-lookups", "Lookups"),
    "module_defaults": ("playbook_guide/playbooks_module_defaults.html", "module-defaults", "Module defaults"),
}


def inventory() -> bytes:
    header = (
        "# Sphinx inventory version 2\n"
        "# Project: Ansible\n"
        "# Version: devel\n"
        "# The remainder of this file is compressed using zlib.\n"
    ).encode()
    lines = "".join(f"{label} std:label -1 {page}#{anchor} {title}\n" for label, (page, anchor, title) in sorted(LABELS.items()))
    return header + zlib.compress(lines.encode())


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "wb") as handle:
        handle.write(inventory())
    return 0


if __name__ == "__main__":
    sys.exit(main())
