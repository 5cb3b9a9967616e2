# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write docs/docsite/rst/status_model.rst from the status tables in plugins/module_utils/_statuses.py.

The page ends with the record schema: ``RECORD_SCHEMA``, ``STEP_SCHEMA`` and ``PLANNED_RECORD_FIELDS``
of plugins/module_utils/_record.py (each a tuple of (field, type, meaning)), so the documented
shape of a record is the shape the code builds.

Nothing here names a vendor value: the page is what the code holds. Every module-level table of
``_statuses.py`` is found by its shape, so a table added there appears on the page without a change
here:

- a dict whose values are all normalised statuses is a status table (vendor value -> status);
- a frozenset (or tuple) of strings named ``<VENDOR>_<STATUS>_ERROR_CODES`` lists vendor error
  codes that mean that status;
- any other frozenset of strings (``..._REFINED_BY_ERROR_CODE``, ...) is listed as it is.

The comment lines just above an assignment are its description on the page. A table's provider is
the longest provider name (from ``_providers/``) that prefixes its name.

Usage: status_model.py [--check] [--output PATH]
  --check  fail (exit 1) when the page on disk differs from what the code gives; `make docs` rewrites it.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pathlib
import re
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCE = ROOT / "plugins" / "module_utils" / "_statuses.py"
PROVIDERS_DIR = ROOT / "plugins" / "module_utils" / "_providers"
OUTPUT = ROOT / "docs" / "docsite" / "rst" / "status_model.rst"
MODULE = "ansible_collections.multicloud.invocations.plugins.module_utils._statuses"
RECORD_MODULE = "ansible_collections.multicloud.invocations.plugins.module_utils._record"
# Names that describe our own vocabulary rather than a vendor's values.
VOCABULARY_NAMES = ("STATUSES", "TERMINAL_STATUSES", "FILTERABLE_STATUSES")


def load_statuses():
    """Import _statuses.py under its collection name (it may import its siblings)."""
    tree = pathlib.Path(tempfile.mkdtemp(prefix="status-model-"))
    link = tree / "ansible_collections" / "multicloud" / "invocations"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    sys.path.insert(0, str(tree))
    return importlib.import_module(MODULE)


def load_record():
    """Import _record.py (after load_statuses put the collection on the path)."""
    return importlib.import_module(RECORD_MODULE)


def record_schema(record) -> list[str]:
    """The record schema section, from the tables of _record.py."""
    out = title("Record schema", "-")
    out += [
        "Every module, the lookup and the role return the same record: one per target instance of one run,",
        "with the vendor's steps on that instance nested under ``steps``. Counts, the aggregate, the failure",
        "policy, the gate's reports and JUnit count instances, never steps. A summary's ``counts`` has one",
        f"entry per status and {literal(record.NOT_VISIBLE)}: the targets the vendor announced (SSM",
        "``TargetCount``) or the task knows were asked for (the instance ids given to it, or sent by its own",
        "start) that are not visible. The aggregate takes those as still pending, so it is never ``success``",
        "while any is missing.",
        "",
        "Records are compact by default: ``raw``, the vendor's payload, comes back only with the option",
        "``include_vendor_payload`` (the same for every module, the lookup and every provider). The conditions",
        "of a wait judge the records before that, so a condition on a vendor field works either way.",
        "",
    ]
    out += title("Record fields", "~")
    out += table(("field", "type", "meaning"), [(literal(name), kind, rst_escape(meaning)) for name, kind, meaning in record.RECORD_SCHEMA])
    out += title("Step fields", "~")
    out += [
        "The deciding step of an instance is the first step, in document order, whose status is the",
        "instance's status; its exit code and output are the instance's. Order of precedence: "
        + ", ".join(literal(status) for status in record.STEP_PRECEDENCE) + ".",
        "",
    ]
    out += table(("field", "type", "meaning"), [(literal(name), kind, rst_escape(meaning)) for name, kind, meaning in record.STEP_SCHEMA])
    if not record.PLANNED_RECORD_FIELDS:
        return out
    out += title("Planned fields", "~")
    out += [
        "Written down now so that the shape changes once: these come with the options that fill them, each",
        "an addition (or, for ``raw``, an option) that leaves the fields above as they are.",
        "",
    ]
    out += table(("field", "type", "meaning"), [(literal(name), kind, rst_escape(meaning)) for name, kind, meaning in record.PLANNED_RECORD_FIELDS])
    return out


def comments_above(source_lines: list[str], lineno: int) -> str:
    """The contiguous ``#`` comment block just above line ``lineno`` (1-based), as one paragraph."""
    block = []
    index = lineno - 2
    while index >= 0 and source_lines[index].lstrip().startswith("#"):
        block.insert(0, source_lines[index].lstrip()[1:].strip())
        index -= 1
    return " ".join(block)


def assignments(source: str) -> dict[str, int]:
    """Module-level ``NAME = ...`` assignments and their line numbers, in source order."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node.lineno
    return found


def provider_names() -> list[str]:
    """Provider names: the adapter modules of _providers/ that no other module name extends."""
    stems = sorted(path.stem for path in PROVIDERS_DIR.glob("*.py") if not path.stem.startswith("_"))
    return [stem for stem in stems if not any(other != stem and stem.startswith(other + "_") for other in stems)]


def provider_of(name: str, providers: list[str]) -> str:
    matches = [provider for provider in providers if name.lower().startswith(provider + "_")]
    return max(matches, key=len) if matches else "other"


def rst_escape(text: str) -> str:
    # The page quotes code comments: keep backslashes and stars literal and turn ``x`` into literals.
    return text.replace("\\", "\\\\").replace("*", "\\*")


def literal(value: str) -> str:
    return f"``{value}``"


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header] + rows:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}".rstrip() for cell in row[1:])
    return lines + [""]


def title(text: str, underline: str) -> list[str]:
    return [text, underline * len(text), ""]


def render(statuses, source: str, record=None) -> str:
    source_lines = source.splitlines()
    lines_of = assignments(source)
    vocabulary = list(statuses.STATUSES)
    # Values a table maps to that the per-target vocabulary does not list (aggregates such as partial_failed).
    constants = {name: getattr(statuses, name) for name in lines_of if isinstance(getattr(statuses, name, None), str)}
    status_values = set(vocabulary) | set(getattr(statuses, "TERMINAL_STATUSES", ()))
    status_tables, code_sets, other_sets = [], [], []
    for name in lines_of:
        value = getattr(statuses, name, None)
        if name in VOCABULARY_NAMES or name.startswith("_"):
            continue
        if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            status_tables.append(name)
            # A status only a table uses (not yet in STATUSES) is still listed as a status.
            status_values |= set(value.values())
        elif isinstance(value, (frozenset, set, tuple)) and value and all(isinstance(v, str) for v in value):
            if set(value) <= status_values:
                continue  # a set of our own statuses, not vendor values
            meaning = next((s for s in sorted(status_values, key=len, reverse=True) if name.endswith(f"_{s.upper()}_ERROR_CODES")), None)
            (code_sets if meaning else other_sets).append((name, meaning))
    providers = provider_names()

    out = [
        ".. Generated by tests/release/status_model.py from plugins/module_utils/_statuses.py: do not edit.",
        ".. Run `make docs` (or `python tests/release/status_model.py`) after changing the tables.",
        "",
        ".. _ansible_collections.multicloud.invocations.docsite.status_model:",
        "",
    ]
    out += title("Status model", "=")
    out += [
        "Every record the collection returns has a normalised ``status`` next to the vendor's own",
        "``vendor_status`` (and ``vendor_status_details``). This page lists the normalised statuses and, for",
        "each provider, every vendor value the collection knows and the status it becomes. It is generated",
        "from the tables in the collection's code (``plugins/module_utils/_statuses.py``), so it cannot",
        "disagree with what the modules do.",
        "",
        "Vendor values are matched after folding: case, spaces, dashes and underscores are ignored, so",
        "``InProgress``, ``In Progress`` and ``in_progress`` are all the key ``inprogress``. A vendor value",
        f"that no table knows becomes {literal(statuses.UNKNOWN)}: never terminal, so a wait keeps looking and",
        "reports it instead of passing or failing on a guess.",
        "",
    ]
    out += title("Normalised statuses", "-")
    rows = []
    ordered = vocabulary + sorted(status_values - set(vocabulary))
    by_value = {value: name for name, value in constants.items() if value in status_values}
    for value in ordered:
        terminal = "yes" if statuses.is_terminal(value) else "no"
        scope = "yes" if value in vocabulary else "no"
        note = comments_above(source_lines, lines_of[by_value[value]]) if value in by_value else ""
        rows.append((literal(value), terminal, scope, rst_escape(note)))
    out += table(("status", "terminal", "per-target status", "note from the code"), rows)

    for provider in providers + ["other"]:
        tables = [name for name in status_tables if provider_of(name, providers) == provider]
        codes = [entry for entry in code_sets if provider_of(entry[0], providers) == provider]
        others = [entry for entry in other_sets if provider_of(entry[0], providers) == provider]
        if not (tables or codes or others):
            continue
        out += title(f"Provider {provider}" if provider != "other" else "Other tables", "-")
        for name in tables:
            out += title(literal(name), "~")
            note = comments_above(source_lines, lines_of[name])
            if note:
                out += [rst_escape(note), ""]
            mapping = getattr(statuses, name)
            out += table(("vendor value (folded)", "status"), [(literal(key), literal(value)) for key, value in mapping.items()])
        for name, meaning in codes:
            out += title(literal(name), "~")
            note = comments_above(source_lines, lines_of[name])
            if note:
                out += [rst_escape(note), ""]
            out += [f"These error codes mean {literal(meaning)}:", ""]
            out += [f"- {literal(code)}" for code in sorted(getattr(statuses, name))] + [""]
        for name, meaning in others:
            out += title(literal(name), "~")
            note = comments_above(source_lines, lines_of[name])
            if note:
                out += [rst_escape(note), ""]
            out += [f"- {literal(code)}" for code in sorted(getattr(statuses, name))] + [""]
    if record is not None:
        out += record_schema(record)
    text = "\n".join(out).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the page on disk is not current")
    parser.add_argument("--output", type=pathlib.Path, default=OUTPUT)
    args = parser.parse_args()
    page = render(load_statuses(), SOURCE.read_text(encoding="utf-8"), load_record())
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != page:
            print(f"{shown} is not what plugins/module_utils/_statuses.py gives: run `make docs` and commit it", file=sys.stderr)
            return 1
        print(f"{shown} is current")
        return 0
    # Rewritten only when it changes: a new mtime would make the tarball of `make test` look stale.
    if args.output.exists() and args.output.read_text(encoding="utf-8") == page:
        print(f"{shown} is current")
        return 0
    args.output.write_text(page, encoding="utf-8")
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
