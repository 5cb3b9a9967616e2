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

- ``return_records`` chooses which records the result keeps: ``all``, ``unsuccessful`` (those not
  accepted: failed, timed out, cancelled, undeliverable, still open) or ``none``; the summary
  always stays. The default, ``auto``, keeps the unsuccessful ones when the task fails, because
  Ansible's default callback prints a failed task's whole result (over 10,000 instances,
  megabytes of terminal or CI log); when it succeeds, all of them while they fit in
  RECORDS_BUDGET characters, else the unsuccessful ones, with a warning: ansible-runner (AWX,
  ansible-navigator) replaces a result over 700,000 characters with ``{}``, silently. Nothing is
  lost: when any record is left out, every record, whole (``raw`` included), is written as JSON to
  a file whose path the result gives (``records_file``), under ``output_dir`` when set, else in
  the temporary directory.
- without ``include_vendor_payload``, ``raw`` then leaves every returned record (and the Run
  Command records a maintenance window record nests): measured on fleetsim with one line of
  output, an SSM record takes 1,180 characters without it and 2,140 with it. Everything that
  runs after the last poll (Ansible's ``no_log`` scan of the result, its serialisation, the
  controller's copy of it) costs in proportion to that compact result.

The same function serves the modules (``MultiCloudModule``), the lookup and any in-process caller.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._output import json_masker, safe_part

# The option, for invocation_info, invocation_wait, invocation_run and the lookup. Named after what
# it adds, like include_output, and apart from the lookup's ``raw`` (the vendor's response instead
# of records), which it would otherwise be mistaken for.
INCLUDE_VENDOR_PAYLOAD = "include_vendor_payload"
PAYLOAD_FIELD = "raw"

RETURN_RECORDS = "return_records"
RETURN_AUTO = "auto"
RETURN_ALL = "all"
RETURN_UNSUCCESSFUL = "unsuccessful"
RETURN_NONE = "none"
RETURN_CHOICES = (RETURN_AUTO, RETURN_ALL, RETURN_UNSUCCESSFUL, RETURN_NONE)

# The most characters (of JSON) the records of a succeeding task take with return_records=auto.
# ansible-runner's MAX_EVENT_RES is 700,000 characters of the whole result (str() of it, as long as
# its JSON): this leaves room for the summary, the counters and the module's own keys. Measured on
# fleetsim, one line of output per instance: a compact SSM record is about 1,180 characters, so
# about 500 records fit; tests/bench/result_size.py measures a whole wait through ansible-runner.
RECORDS_BUDGET = 600_000

# Where the records file goes without output_dir: the temporary directory of the host the module
# runs on (the controller, as this collection's examples run), in a file only its owner may read.
RECORDS_FILE_PREFIX = "multicloud-invocations-records-"


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


def records_choice(params: t.Mapping[str, t.Any], failed: bool) -> str:
    """The option as given (``auto`` when unset), or InvalidInput naming the choices; with ``auto``,
    ``unsuccessful`` when the task fails (what fits is decided later, on the records)."""
    choice = params.get(RETURN_RECORDS) or RETURN_AUTO
    if choice not in RETURN_CHOICES:
        raise InvalidInput(f"return_records must be one of {', '.join(RETURN_CHOICES)}, got {choice!r}")
    if choice == RETURN_AUTO and failed:
        return RETURN_UNSUCCESSFUL
    return choice


def fit(records: t.Sequence[dict[str, t.Any]], budget: int, with_payload: bool) -> bool:
    """Whether the records' JSON, as returned (``raw`` only ``with_payload``), takes at most
    ``budget`` characters; counted record by record until it is past it."""
    used = 2
    for record in records:
        shown = record if with_payload else {key: value for key, value in record.items() if key != PAYLOAD_FIELD}
        used += len(json.dumps(shown, default=str)) + 2
        if used > budget:
            return False
    return True


def is_unsuccessful(record: dict[str, t.Any]) -> bool:
    """Not accepted: failed, timed out, cancelled, undeliverable, judged a failure by a condition, or still open."""
    return record.get("accepted") is not True


def select_records(records: list[dict[str, t.Any]], choice: str) -> list[dict[str, t.Any]]:
    if choice == RETURN_NONE:
        return []
    if choice == RETURN_UNSUCCESSFUL:
        return [record for record in records if is_unsuccessful(record)]
    return records


def run_label(records: t.Sequence[dict[str, t.Any]]) -> str:
    """A name for the records file from the first run id: vendor data, so reduced to a safe name."""
    for record in records:
        run_id = record.get("invocation_id") or record.get("command_id")
        if run_id:
            return safe_part(run_id)
    return "records"


def write_records_file(records: t.Sequence[dict[str, t.Any]], directory: str | None, secrets: t.Collection[str] = ()) -> str:
    """Every record, as JSON, its ``secrets`` masked, in a new file only its owner may read; its path.

    The name is made by ``mkstemp`` (never an existing file or link; unique per task), and the
    content is written beside it and renamed over it, so a reader never sees a partial file."""
    if directory:
        folder = os.path.join(directory, "records")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.path.commonpath([os.path.realpath(folder), os.path.realpath(directory)]) != os.path.realpath(directory):
            raise OSError(f"{folder} leads out of output_dir")
        prefix = ""
    else:
        folder = tempfile.gettempdir()
        prefix = RECORDS_FILE_PREFIX
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    handle, path = tempfile.mkstemp(dir=folder, prefix=f"{prefix}{run_label(records)}-{stamp}-", suffix=".json")
    os.close(handle)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".records-", suffix=".partial")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # A record at a time through json.dumps: json.dump encodes in Python, several times
            # slower over a fleet's records, and one string of them all would double the memory.
            to_json = json_masker(secrets)
            stream.write("[")
            for number, record in enumerate(records):
                stream.write(("," if number else "") + to_json(record))
            stream.write("]")
        os.replace(partial, path)
    except BaseException:
        for leftover in (partial, path):
            if os.path.exists(leftover):
                os.unlink(leftover)
        raise
    return path


def shape_result(result: dict[str, t.Any], params: t.Mapping[str, t.Any], failed: bool = False, secrets: t.Collection[str] = ()) -> list[str]:
    """A task's (or the lookup's) result as it is returned, from the task's options, in place.

    ``failed``: the task fails (the default choice of records depends on it). ``secrets``: the task's
    values to mask (the module's no_log values), hidden in the records file as in the result. Returns warnings for
    the task (a records file that could not be written: then every record stays in the result)."""
    records = result.get("invocations")
    if not isinstance(records, list):
        return []
    warnings: list[str] = []
    choice = records_choice(params, failed)
    too_many = choice == RETURN_AUTO and not fit(records, RECORDS_BUDGET, bool(params.get(INCLUDE_VENDOR_PAYLOAD)))
    if choice == RETURN_AUTO:
        choice = RETURN_UNSUCCESSFUL if too_many else RETURN_ALL
    kept = select_records(records, choice)
    if too_many:
        warnings.append(
            f"the {len(records)} records take more than {RECORDS_BUDGET:,} characters, too many for where Ansible keeps results "
            "(ansible-runner, AWX and ansible-navigator replace a result over 700,000 characters with {}): the result returns the "
            f"{len(kept)} that did not succeed (yet), every record is in records_file. Set return_records to all, unsuccessful or none to choose"
        )
    result.update(records_returned=choice, records_left_out=len(records) - len(kept), records_file=None)
    if len(kept) < len(records):
        try:
            # Whole records, raw included: the file is where nothing is lost.
            result["records_file"] = write_records_file(records, params.get("output_dir"), secrets)
        except OSError as error:
            warnings.append(f"return_records={choice}: the records file could not be written ({error}); every record is in the result instead")
            kept = records
            result.update(records_returned=RETURN_ALL, records_left_out=0)
    result["invocations"] = shape_records(kept, bool(params.get(INCLUDE_VENDOR_PAYLOAD)))
    return warnings
