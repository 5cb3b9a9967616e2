# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find every example the documentation shows, exactly as written.

Sources: the README, the guides (docs/*.md, docs/docsite/rst/*.rst), the role's README and
every plugin's EXAMPLES. An example is one code block (Markdown fence or reStructuredText
``code-block``), or a plugin's whole EXAMPLES string (its tasks refer to each other's
registered results, so they run together).

Ids name the page and the section the block is in, so that adding a block elsewhere does not
rename the others: ``docs/ci-gate.md#github-actions``, with ``-2``, ``-3``... for the second and
later blocks of a section, and ``plugins/modules/invocation_wait.py#EXAMPLES``.
"""

from __future__ import annotations

import ast
import dataclasses
import glob
import os
import re

MARKDOWN_SOURCES = ("README.md", "docs/*.md", "roles/*/README.md")
RST_SOURCES = ("docs/docsite/rst/*.rst",)
PLUGIN_SOURCES = ("plugins/modules/*.py", "plugins/lookup/*.py")
# Generated from the code's tables (tests/release/status_model.py checks it), it shows no examples.
GENERATED = ("docs/docsite/rst/status_model.rst",)


@dataclasses.dataclass(frozen=True)
class Example:
    id: str
    path: str
    line: int
    lang: str
    text: str


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words or "top"


class _Ids:
    """Per page: section slug -> how many blocks it had so far."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: dict[str, int] = {}

    def next(self, section: str) -> str:
        count = self.seen.get(section, 0) + 1
        self.seen[section] = count
        suffix = "" if count == 1 else f"-{count}"
        return f"{self.path}#{section}{suffix}"


def markdown_examples(path: str, text: str) -> list[Example]:
    ids = _Ids(path)
    examples = []
    section = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        fence = re.match(r"^(\s*)(```+|~~~+)\s*([\w+-]*)", line)
        if fence:
            indent, marker, lang = fence.groups()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            examples.append(Example(ids.next(section), path, i - len(body), lang or "text", "\n".join(body) + "\n"))
        elif heading:
            section = slug(heading.group(1))
        i += 1
    return examples


_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def rst_examples(path: str, text: str) -> list[Example]:
    ids = _Ids(path)
    examples = []
    section = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and line.strip() and _RST_UNDERLINE.match(lines[i + 1]) and \
                len(lines[i + 1].strip()) >= len(line.strip()):
            section = slug(line)
        block = re.match(r"^(\s*)\.\.\s+code-block::\s*(\S*)", line)
        if block:
            lang = block.group(2) or "text"
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].lstrip().startswith(":")) and \
                    not (lines[i].strip() and not lines[i].startswith((" ", "\t"))):
                i += 1
            start = i
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            indent = min(len(b) - len(b.lstrip()) for b in body if b.strip())
            text_ = "\n".join(b[indent:] for b in body) + "\n"
            examples.append(Example(ids.next(section), path, start + 1, lang, text_))
            continue
        i += 1
    return examples


def plugin_examples(path: str, text: str) -> list[Example]:
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return [Example(f"{path}#EXAMPLES", path, node.lineno, "yaml", node.value.value)]
    return []


def all_examples(root: str) -> list[Example]:
    found: list[Example] = []

    def each(patterns: tuple[str, ...]) -> list[str]:
        paths = sorted({p for pattern in patterns for p in glob.glob(os.path.join(root, pattern))})
        return [os.path.relpath(p, root) for p in paths if os.path.relpath(p, root) not in GENERATED]

    for path in each(MARKDOWN_SOURCES):
        found += markdown_examples(path, _read(root, path))
    for path in each(RST_SOURCES):
        found += rst_examples(path, _read(root, path))
    for path in each(PLUGIN_SOURCES):
        found += plugin_examples(path, _read(root, path))
    return found


def _read(root: str, path: str) -> str:
    with open(os.path.join(root, path), encoding="utf-8") as handle:
        return handle.read()


if __name__ == "__main__":
    for example in all_examples(os.path.join(os.path.dirname(__file__), "..", "..")):
        print(f"{example.id}  ({example.lang}, line {example.line}, {len(example.text.splitlines())} lines)")
