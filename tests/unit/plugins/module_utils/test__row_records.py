# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RowRecords: a record is built again only when its row or its run's fields changed."""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._row_records import RowRecords


def build(context, row):
    return {"run": context["id"], "instance_id": row["id"], "state": row["state"]}


def rows(*states):
    return [{"id": f"i-{number}", "state": state} for number, state in enumerate(states)]


def test_unchanged_rows_give_the_same_records_without_a_build():
    records = RowRecords(build, key=lambda row: row["id"])
    first = records.records({"id": "r1"}, rows("running", "running", "pending"))
    second = records.records({"id": "r1"}, rows("running", "running", "pending"))
    assert records.builds == 3
    assert all(a is b for a, b in zip(first, second))


def test_only_the_changed_rows_are_built_again():
    records = RowRecords(build, key=lambda row: row["id"])
    first = records.records({"id": "r1"}, rows("running", "running", "pending"))
    second = records.records({"id": "r1"}, rows("success", "running", "running"))
    assert records.builds == 3 + 2
    assert [record["state"] for record in second] == ["success", "running", "running"]
    assert second[1] is first[1] and second[0] is not first[0]


def test_a_changed_context_builds_every_record_again_without_a_refresh():
    records = RowRecords(build, key=lambda row: row["id"])
    records.records({"id": "r1", "status": "Running"}, rows("success", "running"))
    again = records.records({"id": "r1", "status": "Success"}, rows("success", "success"))
    assert records.builds == 4
    assert [record["state"] for record in again] == ["success", "success"]


def test_rows_keep_their_order_and_gone_rows_are_forgotten():
    records = RowRecords(build, key=lambda row: row["id"])
    records.records({"id": "r1"}, rows("a", "b", "c"))
    reordered = records.records({"id": "r1"}, list(reversed(rows("a", "b", "c")))[:2])
    assert [record["instance_id"] for record in reordered] == ["i-2", "i-1"]
    assert records.builds == 3
    back = records.records({"id": "r1"}, rows("a", "b", "c"))
    # i-0 was forgotten when the vendor stopped listing it.
    assert records.builds == 4 and [record["state"] for record in back] == ["a", "b", "c"]


def test_a_key_listed_twice_gets_a_record_each_time():
    records = RowRecords(build, key=lambda row: row["id"])
    twice = [{"id": "i-0", "state": "running"}, {"id": "i-0", "state": "running"}]
    first = records.records({"id": "r1"}, twice)
    second = records.records({"id": "r1"}, [dict(row) for row in twice])
    assert first[0] is not first[1] and second[0] is not second[1]
    assert second == first


def test_a_changed_context_refreshes_the_records_of_unchanged_rows():
    refreshed = []

    def refresh(context):
        def update(record):
            refreshed.append(record["instance_id"])
            record["run"] = context["id"]
        return update

    records = RowRecords(build, key=lambda row: row["id"], refresh=refresh)
    first = records.records({"id": "r1"}, rows("success", "running"))
    again = records.records({"id": "r2"}, rows("success", "success"))
    assert records.builds == 2 + 1 and refreshed == ["i-0"]
    assert again[0] is first[0] and again == [build({"id": "r2"}, row) for row in rows("success", "success")]
    records.records({"id": "r2"}, rows("success", "success"))
    assert records.builds == 3 and refreshed == ["i-0"]
