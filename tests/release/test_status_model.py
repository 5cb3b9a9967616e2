# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status-model page shows every table of _statuses.py, including tables added later."""

from __future__ import annotations

import pathlib
import sys
import types

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import status_model  # noqa: E402  (the generator sits beside this test)

SOURCE = status_model.SOURCE.read_text(encoding="utf-8")
# Puts the collection on sys.path, in case _statuses.py imports its siblings.
status_model.load_statuses()

# What another change might add: a new status and a new vendor's table, written the way the
# existing ones are. The generator must pick them up without being told.
EXTENSION = '''

# Skipped by the vendor: the target was not in scope of this run.
SKIPPED = "skipped"
STATUSES = STATUSES + (SKIPPED,)
TERMINAL_STATUSES = TERMINAL_STATUSES | {SKIPPED}

# AWS Systems Manager maintenance window task invocations.
AWS_SSM_MAINTENANCE_WINDOW_TASK = {
    "pending": PENDING,
    "inprogress": RUNNING,
    "success": SUCCESS,
    "skippedoverlapping": SKIPPED,
}

# Codes that mean the window never started the task.
AWS_SSM_UNDELIVERABLE_ERROR_CODES = frozenset(("WindowDisabled",))
'''


def module_from(source: str) -> types.ModuleType:
    module = types.ModuleType("statuses_under_test")
    exec(compile(source, "_statuses.py", "exec"), module.__dict__)  # pylint: disable=exec-used
    return module


def test_every_table_of_the_real_module_is_on_the_page():
    statuses = module_from(SOURCE)
    page = status_model.render(statuses, SOURCE)
    tables = [name for name, value in vars(statuses).items() if name.isupper() and isinstance(value, (dict, frozenset))]
    assert "AWS_SSM_INVOCATION" in tables
    for name in tables:
        if name == "TERMINAL_STATUSES":
            continue
        assert f"``{name}``" in page, name
    # Every vendor value of every status table appears with the status it maps to.
    for name, value in vars(statuses).items():
        if isinstance(value, dict) and name.isupper():
            for vendor_value, status in value.items():
                assert f"   * - ``{vendor_value}``\n     - ``{status}``" in page, (name, vendor_value)


def test_a_new_status_and_a_new_table_appear_without_changing_the_generator():
    source = SOURCE + EXTENSION
    page = status_model.render(module_from(source), source)
    assert "   * - ``skipped``\n     - yes\n     - yes\n     - Skipped by the vendor" in page
    assert "``AWS_SSM_MAINTENANCE_WINDOW_TASK``" in page
    assert "   * - ``skippedoverlapping``\n     - ``skipped``" in page
    assert "AWS Systems Manager maintenance window task invocations." in page
    aws_section = page.split("Provider aws_ssm")[1].split("Provider zenlayer_zos")[0]
    assert "These error codes mean ``undeliverable``:\n\n- ``WindowDisabled``" in aws_section


def test_a_status_only_a_new_table_uses_is_still_listed():
    # The new status is defined and mapped, but not added to STATUSES or TERMINAL_STATUSES.
    source = SOURCE + '''
DEFERRED = "deferred"

# A vendor with a status of its own.
OTHER_VENDOR_INVOCATION = {"waiting": PENDING, "deferred": DEFERRED}
'''
    page = status_model.render(module_from(source), source)
    assert "   * - ``deferred``\n     - no\n     - no" in page
    assert "   * - ``waiting``\n     - ``pending``" in page
    assert "Other tables" in page


def test_check_mode_fails_on_a_stale_page(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "status_model.rst"
    stale.write_text("an old page\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["status_model.py", "--check", "--output", str(stale)])
    assert status_model.main() == 1
    assert "run `make docs`" in capsys.readouterr().err


def test_the_record_schema_is_on_the_page():
    record = status_model.load_record()
    page = status_model.render(module_from(SOURCE), SOURCE, record)
    schema = page.split("Record schema")[1]
    for name, _kind, _meaning in record.RECORD_SCHEMA + record.STEP_SCHEMA + record.PLANNED_RECORD_FIELDS:
        assert f"``{name}``" in schema, name
    assert page == status_model.OUTPUT.read_text(encoding="utf-8"), "run `make docs`: the page on disk is stale"
