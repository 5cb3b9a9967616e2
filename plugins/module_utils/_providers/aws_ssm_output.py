# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM's complete output, read back from S3 or CloudWatch Logs for the records whose output SSM cut.

SSM keeps 24,000 characters of stdout and 8,000 of stderr in GetCommandInvocation, and 2,500 per
plugin in ListCommandInvocations. A command sent with ``OutputS3BucketName`` has the agent upload
each plugin's complete streams to S3 and the API name the objects in ``StandardOutputUrl`` /
``StandardErrorUrl`` (https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-about-output.html,
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetCommandInvocation.html).
The record parsers set ``stdout_truncated`` / ``stderr_truncated`` where SSM cut a stream; only
those streams, of targets that ended, are fetched (``s3:GetObject``), so a fleet whose outputs
are short costs no S3 call. A fetch that fails is a warning on its record with S3's code and
request id: the stream keeps what SSM returned and the verdict, decided before, does not change.

A command sent with ``CloudWatchOutputConfig`` (and no S3 bucket) has the agent send each plugin's
streams to a CloudWatch Logs group instead: the record's ``output_log_group``, streams
``<CommandId>/<InstanceId>/<plugin id>/stdout`` and ``/stderr``, the plugin id being the step's name
with ``:`` and ``*`` turned into ``-`` ("Configuring Amazon CloudWatch Logs for Run Command":
https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-setting-up-cwlogs.html). The
stream is read whole (``logs:GetLogEvents``, every page, see ``read_log_stream``) and its events joined
back into the text (see ``join_events``). S3 comes first where a command sent to both.

Pure logic over ``get_object(bucket, key) -> str`` and ``get_log_events(group, stream) -> list of
messages`` callables; the clients are the provider's.
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
GetLogEvents = t.Callable[[str, str], t.List[str]]
GetLogEventsPage = t.Callable[[t.Dict[str, t.Any]], t.Dict[str, t.Any]]

# The most GetLogEvents pages read of one stream. A read from the head ends when the forward token
# comes back unchanged; until then a page may even be empty ("This operation can return empty
# results while there are more log events available through the token", GetLogEvents' API
# reference: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
# A stream still being written to, or an endpoint that never repeats the token, would keep the read
# going for ever, and invocation_info has no budget to end it. A page holds up to 1 MB or 10,000
# events, so 1,000 pages hold up to 1 GB or 10 million events: far more than a Run Command output
# read back whole into a task's result, so a real stream that ended is not cut by it.
MAX_LOG_PAGES = 1_000
PAGE_LIMIT_REACHED = "PageLimitReached"
# The most bytes of one S3 object read back: the same room as MAX_LOG_PAGES full pages, 1,000 MiB. S3
# sends no more than asked for with ``Range: bytes=0-<last>`` and names the object's whole size in
# ``Content-Range`` (GetObject's API reference:
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), so the read is bounded by
# size as well as by time (request_timeout), and a larger object is told apart from one that fits.
MAX_OBJECT_BYTES = 1_000 * 1_048_576
OBJECT_RANGE = f"bytes=0-{MAX_OBJECT_BYTES - 1}"
OBJECT_TOO_LARGE = "ObjectTooLarge"


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


def log_stream_name(record: t.Mapping[str, t.Any], step_name: str, stream: str) -> str:
    """The stream the agent writes a step's ``stream`` to: command, instance, plugin id, stream;
    ``:`` and ``*`` become ``-`` (CloudWatch Logs refuses them in stream names)."""
    name = f"{record.get('command_id')}/{record.get('instance_id')}/{step_name}/{stream}"
    return name.replace(":", "-").replace("*", "-")


def join_events(messages: t.Sequence[str]) -> str:
    """The text of a stream from its events' messages. The agent packs whole lines into each event and
    drops the newline that ends an event it builds once the command has ended (every event of a short
    command): a newline goes back after each message that lacks one. A stream whose very last line had
    no newline therefore comes back with one."""
    return "".join(message if message.endswith("\n") else message + "\n" for message in messages)


def read_log_stream(get_page: GetLogEventsPage, group: str, stream: str, max_pages: int = MAX_LOG_PAGES) -> list[str]:
    """Every event's message of one log stream, oldest first: GetLogEvents from the head, page after page
    until the forward token comes back unchanged (the API's documented end of a stream), ``max_pages`` at
    most. Past them, InvocationError ``PageLimitReached``, with the last page's request id: what was read
    is dropped, as a stream read in part is not the complete copy."""
    messages: list[str] = []
    token = None
    page: dict[str, t.Any] = {}
    for _page in range(max_pages):
        request: dict[str, t.Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
        if token is not None:
            request["nextToken"] = token
        page = get_page(request)
        messages.extend(str(event.get("message") or "") for event in page.get("events") or [])
        following = page.get("nextForwardToken")
        if not following or following == token:
            return messages
        token = following
    request_id = (page.get("ResponseMetadata") or {}).get("RequestId")
    raise InvocationError(
        f"GetLogEvents gave a new forward token on each of {max_pages:,} pages ({len(messages):,} events), the most this "
        "collection reads of one stream; the stream may still be written to, or the endpoint never says it reached the end",
        code=PAGE_LIMIT_REACHED, request_id=request_id)


def object_text(body: bytes, content_range: str | None, bucket: str, key: str, request_id: t.Any = None,
                max_bytes: int = MAX_OBJECT_BYTES) -> str:
    """The text of an object read with OBJECT_RANGE, or InvocationError ``ObjectTooLarge`` when the object
    holds more than ``max_bytes`` (its size from ``Content-Range: bytes 0-<last>/<size>``): a part of a
    stream is not its complete copy."""
    total = content_range.rpartition("/")[2] if content_range else ""
    size = int(total) if total.isdigit() else len(body)
    if size > max_bytes or len(body) > max_bytes:
        raise InvocationError(
            f"s3://{bucket}/{key} holds {max(size, len(body)):,} bytes, more than the {max_bytes:,} this collection reads of one object",
            code=OBJECT_TOO_LARGE, request_id=request_id)
    return body.decode("utf-8", "replace")


def warning(stream: str, step: t.Mapping[str, t.Any], code: str, message: str, request_id: t.Any = None) -> dict[str, t.Any]:
    return {"stream": stream, "step": step.get("name"), "code": code, "request_id": request_id, "message": redact_secrets_in_text(message)}


def _from_log_group(record: dict[str, t.Any], holder: dict[str, t.Any], stream: str, get_log_events: GetLogEvents) -> str | None:
    """The complete ``stream`` of a step from the record's log group, or None with a warning on the record."""
    group = record["output_log_group"]
    if not holder.get("name"):
        record["output_warnings"].append(warning(
            stream, holder, "NoStepName", f"SSM cut {stream} and named no step, so its CloudWatch Logs stream in {group} is unknown"))
        return None
    name = log_stream_name(record, holder["name"], stream)
    try:
        return join_events(get_log_events(group, name))
    except InvocationError as error:
        record["output_warnings"].append(warning(
            stream, holder, error.code or "Unknown",
            f"the complete {stream} could not be read from CloudWatch Logs group {group}, stream {name}: {error.message}; "
            "the record keeps what SSM returned",
            error.request_id))
        return None


def fetch_cut_streams(record: dict[str, t.Any], get_object: GetObject, get_log_events: GetLogEvents | None = None) -> None:
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
            if location is None and record.get("output_log_group") and get_log_events is not None:
                text = _from_log_group(record, holder, stream, get_log_events)
                if text is not None:
                    holder[stream] = text
                    holder[f"{stream}_truncated"] = False
                continue
            if location is None:
                record["output_warnings"].append(warning(
                    stream, holder, "NotDelivered",
                    f"SSM cut {stream} and the command sent no complete copy to S3 or CloudWatch Logs; send it with "
                    "output_s3_bucket_name or cloudwatch_output_log_group to keep it"))
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


def fetch_complete_output(records: t.Iterable[dict[str, t.Any]], get_object: GetObject, get_log_events: GetLogEvents | None = None) -> None:
    for record in records:
        fetch_cut_streams(record, get_object, get_log_events)
