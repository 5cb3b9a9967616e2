# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The extractor finds every block of a page, named by its section, so a new one cannot hide."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import extract  # noqa: E402 pylint: disable=wrong-import-position

MARKDOWN = """# Title

```console
make demo
```

## Wait on it

Text.

```yaml
- name: A task
  ansible.builtin.debug:
    msg: "# not a heading"
```

  ```yaml
  - name: An indented block
  ```

### Wait on it
"""

RST = """Guide
=====

Run it
------

.. code-block:: yaml+jinja

   - name: First
     ansible.builtin.debug:

       msg: one

Some text.

.. code-block:: bash

   echo two

Other
-----
"""


def test_markdown_blocks_are_named_by_their_section():
    found = extract.markdown_examples("page.md", MARKDOWN)
    assert [(e.id, e.lang) for e in found] == [
        ("page.md#title", "console"), ("page.md#wait-on-it", "yaml"), ("page.md#wait-on-it-2", "yaml"),
    ]
    assert found[1].text == '- name: A task\n  ansible.builtin.debug:\n    msg: "# not a heading"\n'
    assert found[2].text == "- name: An indented block\n"


def test_rst_code_blocks_keep_their_text_and_blank_lines():
    found = extract.rst_examples("guide.rst", RST)
    assert [(e.id, e.lang) for e in found] == [("guide.rst#run-it", "yaml+jinja"), ("guide.rst#run-it-2", "bash")]
    assert found[0].text == "- name: First\n  ansible.builtin.debug:\n\n    msg: one\n"
    assert found[1].text == "echo two\n"


def test_every_source_of_the_collection_is_read():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    paths = {example.path for example in extract.all_examples(root)}
    for expected in ("README.md", "docs/ci-gate.md", "roles/invocation_gate/README.md", "docs/docsite/rst/getting_started.rst",
                     "plugins/modules/invocation_wait.py", "plugins/lookup/invocation.py"):
        assert expected in paths
