# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Cloud Assistant's complete output, read back from OSS for the records whose output it cut.

Cloud Assistant keeps at most 24 KB of a run's output in ``Output`` and counts the rest in
``Dropped``. A run started with ``OssOutputDelivery`` (invocation_run's ``output_oss_uri``) also
has its complete output written to OSS, named in each instance's ``OssOutputUri``, with
``OssOutputStatus`` InProgress, Finished or Failed and, when it failed, ``OssOutputErrorCode`` /
``OssOutputErrorInfo`` (DescribeInvocationResults and DescribeInvocations API reference,
https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocationresults).

The record parsers mark a cut output with ``stdout_truncated`` and put ``OssOutputUri`` in
``stdout_url`` (Cloud Assistant merges stdout and stderr into one ``Output``, which the records
carry as stdout). Only those records, of targets that ended, are fetched, so short outputs cost no
OSS call. A delivery that failed or never happened, a missing object or a denied read is a warning
on its record with the vendor's code: the record keeps what Cloud Assistant returned and the
verdict, decided before, does not change.

Pure logic over a ``get_object(bucket, key) -> str`` callable; the reader is alibaba_oss.OssReader.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import redact_secrets_in_text
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_oss import object_location

GetObject = t.Callable[[str, str], str]
# Cloud Assistant merges both streams into Output: the complete copy replaces stdout.
STREAM = "stdout"


def warning(code: str, message: str, request_id: t.Any = None) -> dict[str, t.Any]:
    return {"stream": STREAM, "step": None, "code": code, "request_id": request_id, "message": redact_secrets_in_text(message)}


def _delivery(record: t.Mapping[str, t.Any]) -> t.Mapping[str, t.Any]:
    raw = record.get("raw")
    return raw if isinstance(raw, dict) else {}


def fetch_cut_output(record: dict[str, t.Any], get_object: GetObject) -> None:
    """Replace the cut output of an ended record with its complete copy from OSS, or add a warning saying why not."""
    if not record.get("terminal") or not record.get("stdout_truncated") or record.get(STREAM) is None:
        return
    delivery = _delivery(record)
    status = delivery.get("OssOutputStatus") or ""
    uri = record.get("stdout_url")
    if status == "Failed":
        code = delivery.get("OssOutputErrorCode") or "DeliveryFailed"
        info = delivery.get("OssOutputErrorInfo") or "no reason given"
        record["output_warnings"].append(warning(
            code, f"Cloud Assistant cut the output and could not deliver the complete copy to OSS ({info}); the record keeps what it returned"))
        return
    if not uri:
        if status == "InProgress":
            record["output_warnings"].append(warning(
                "DeliveryInProgress", "Cloud Assistant cut the output and is still delivering the complete copy to OSS; read the run "
                "again later with invocation_info and fetch_complete_output"))
        else:
            record["output_warnings"].append(warning(
                "NotDelivered", "Cloud Assistant cut the output and the run sent no complete copy to OSS; start it with output_oss_uri to keep one"))
        return
    location = object_location(uri)
    if location is None:
        record["output_warnings"].append(warning("UnknownLocation", f"OssOutputUri {uri!r} names no OSS object this collection can read"))
        return
    bucket, key = location
    try:
        text = get_object(bucket, key)
    except InvocationError as error:
        record["output_warnings"].append(warning(
            error.code or "Unknown",
            f"the complete output could not be read from oss://{bucket}/{key}: {error.message}; the record keeps what Cloud Assistant returned",
            error.request_id))
        return
    record[STREAM] = text
    record["stdout_truncated"] = False


def fetch_complete_output(records: t.Iterable[dict[str, t.Any]], get_object: GetObject) -> None:
    for record in records:
        fetch_cut_output(record, get_object)
