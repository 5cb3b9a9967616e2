# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What of the records a result returns: compact records unless the vendor's payload is asked for.

The providers build every record with ``raw`` (the vendor's item): the conditions of a wait
(``success_when``, ``failure_when``) may name the vendor's fields, and they judge the records
before anything is returned. Only then is the result shaped, here, once, on every way out of a
task (success, verdict, error) and of the lookup:

- without ``include_vendor_payload``, ``raw`` leaves every record (and the Run Command records a
  maintenance window record nests), so a record is a third of its size with it. Everything that
  runs after the last poll (Ansible's ``no_log`` scan of the result, its serialisation, the
  controller's copy of it) costs in proportion to that compact result.

The same function serves the modules (``MultiCloudModule``), the lookup and any in-process caller.
"""

from __future__ import annotations

import typing as t

# The option, for invocation_info, invocation_wait, invocation_run and the lookup. Named after what
# it adds, like include_output, and apart from the lookup's ``raw`` (the vendor's response instead
# of records), which it would otherwise be mistaken for.
INCLUDE_VENDOR_PAYLOAD = "include_vendor_payload"
PAYLOAD_FIELD = "raw"


def without_vendor_payload(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """``record`` without ``raw``, in place, with the records nested under a window record too."""
    record.pop(PAYLOAD_FIELD, None)
    for step in record.get("steps") or ():
        if isinstance(step, dict):
            step.pop(PAYLOAD_FIELD, None)
    window = record.get("window")
    if isinstance(window, dict):
        for nested in window.get("command_invocations") or ():
            if isinstance(nested, dict):
                without_vendor_payload(nested)
    return record


def shape_records(records: t.Any, include_vendor_payload: bool = False) -> t.Any:
    """The records as a result returns them (in place; also returned, for a caller's convenience).

    Anything but a list of records is left as it is."""
    if include_vendor_payload or not isinstance(records, list):
        return records
    for record in records:
        if isinstance(record, dict):
            without_vendor_payload(record)
    return records


def shape_result(result: dict[str, t.Any], params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A task's (or the lookup's) result as it is returned, from the task's options. In place."""
    shape_records(result.get("invocations"), bool(params.get(INCLUDE_VENDOR_PAYLOAD)))
    return result
