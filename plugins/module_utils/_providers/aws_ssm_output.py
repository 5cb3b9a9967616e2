# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM's complete output, read back from S3 for the records whose output SSM cut.

SSM keeps 24,000 characters of stdout and 8,000 of stderr in GetCommandInvocation, and 2,500 per
plugin in ListCommandInvocations. A command sent with ``OutputS3BucketName`` has the agent upload
each plugin's complete streams to S3 and the API name the objects in ``StandardOutputUrl`` /
``StandardErrorUrl`` (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-about-output.html,
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html).
The record parsers set ``stdout_truncated`` / ``stderr_truncated`` where SSM cut a stream; only
those streams, of targets that ended, are fetched (``s3:GetObject``), so a fleet whose outputs
are short costs no S3 call. A fetch that fails is a warning on its record with S3's code and
request id: the stream keeps what SSM returned and the verdict, decided before, does not change.

Pure logic over a ``get_object(bucket, key) -> str`` callable; the client is the provider's.
"""

from __future__ import annotations

import re
import typing as t
import urllib.parse

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import redact_secrets_in_text
from ansible_collections.multicloud.invocations.plugins.module_utils._record import deciding_step

STREAMS = ("stdout", "stderr")
# https://<bucket>.s3.amazonaws.com/<key>, https://<bucket>.s3.<region>.amazonaws.com/<key> (virtual-hosted).
VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")

GetObject = t.Callable[[str, str], str]


def object_location(url: str) -> tuple[str, str] | None:
    """(bucket, key) of an S3 object URL as SSM reports it: path-style
    (``https://s3.<region>.amazonaws.com/<bucket>/<key>``), virtual-hosted
    (``https://<bucket>.s3.amazonaws.com/<key>``) or ``s3://<bucket>/<key>``. None if it names no object."""
    parts = urllib.parse.urlsplit(url or "")
    host = (parts.hostname or "").lower()
    path = urllib.parse.unquote(parts.path).lstrip("/")
    if parts.scheme == "s3":
        bucket, key = host, path
    else:
        virtual = VIRTUAL_HOSTED.match(host)
        if virtual:
            bucket, key = virtual.group("bucket"), path
        else:
            bucket, _sep, key = path.partition("/")
    return (bucket, key) if bucket and key else None


def warning(stream: str, step: t.Mapping[str, t.Any], code: str, message: str, request_id: t.Any = None) -> dict[str, t.Any]:
    return {"stream": stream, "step": step.get("name"), "code": code, "request_id": request_id, "message": redact_secrets_in_text(message)}


def fetch_cut_streams(record: dict[str, t.Any], get_object: GetObject) -> None:
    """Replace each cut stream of an ended record (of each of its steps) with the complete copy."""
    if not record.get("terminal"):
        return
    steps = record.get("steps") or []
    for holder in steps or [record]:
        for stream in STREAMS:
            if not holder.get(f"{stream}_truncated") or holder.get(stream) is None:
                continue
            url = holder.get(f"{stream}_url")
            location = object_location(url) if url else None
            if location is None:
                record["output_warnings"].append(warning(
                    stream, holder, "NotDelivered",
                    f"SSM cut {stream} and the command sent no complete copy to S3; send it with output_s3_bucket_name to keep it"))
                continue
            bucket, key = location
            try:
                text = get_object(bucket, key)
            except InvocationError as error:
                record["output_warnings"].append(warning(
                    stream, holder, error.code or "Unknown",
                    f"the complete {stream} could not be read from s3://{bucket}/{key}: {error.message}; the record keeps what SSM returned",
                    error.request_id))
                continue
            holder[stream] = text
            holder[f"{stream}_truncated"] = False
    deciding = deciding_step(steps) if steps else None
    if deciding is not None:
        # The record's streams are its deciding step's.
        for field in ("stdout", "stderr", "stdout_truncated", "stderr_truncated"):
            record[field] = deciding[field]


def fetch_complete_output(records: t.Iterable[dict[str, t.Any]], get_object: GetObject) -> None:
    for record in records:
        fetch_cut_streams(record, get_object)
