# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""What each output stream puts into a result, and where its complete copy goes.

Two options, shared by invocation_info, invocation_wait and invocation_run (``output_limit`` and
``output_dir``, doc fragment ``multicloud.invocations.output``):

- ``output_dir`` writes each stream, as complete as the task has it, to a file under that
  directory, named by provider, run, instance and step; the path goes into the record
  (``stdout_file`` / ``stderr_file``, on the record and on each step).
- ``output_limit`` then keeps at most that many characters of each stream in the result: the
  first half and the last half, joined by a line that says how much was left out, and the count
  in ``stdout_omitted`` / ``stderr_omitted``. The vendor's copies of the output inside ``raw``
  are cut the same way, or a limited record would still carry the whole output.

Both run once the task has its records, after conditions judged them on the whole output.
A file path is built from vendor data (ids, step names), so every part of it is reduced to a
safe name and the result is checked to be inside the directory before anything is written.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import math
import os
import re
import tempfile
import typing as t

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.multicloud.invocations.plugins.module_utils._capabilities import CAPABILITIES
from ansible_collections.multicloud.invocations.plugins.module_utils._endpoint import check_plain_http
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._record import deciding_step

STREAMS = ("stdout", "stderr")
# Characters a path part keeps as they are; anything else becomes "_".
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# Longest path part kept from a vendor value (file systems allow 255 bytes; ids are far shorter).
PART_MAX = 100
# How a part that had to be changed stays unique: a short digest of the vendor's own value.
DIGEST_CHARS = 10
# The name of a part the vendor left empty (a window record with no instance).
MISSING_PART = "none"


def left_out_marker(count: int) -> str:
    """The line put where characters were left out of a stream."""
    return f"\n[... {count:,} characters left out by output_limit ...]\n"


def limit_text(text: str, limit: int) -> tuple[str, int]:
    """(text kept, characters left out): the first and last halves of ``limit`` characters."""
    if len(text) <= limit:
        return text, 0
    head = limit // 2
    tail = limit - head
    omitted = len(text) - limit
    return text[:head] + left_out_marker(omitted) + (text[len(text) - tail:] if tail else ""), omitted


def safe_part(value: t.Any, unique: bool = True) -> str:
    """A vendor value as one path part that cannot leave its directory: only letters, digits, dot,
    dash and underscore, no leading dot (so never "." or ".."), at most PART_MAX characters. With
    ``unique``, a value that had to be changed gets a digest of the original, so two ids never share
    a file (step names need none: their position already sets them apart)."""
    text = "" if value is None else str(value)
    if not text:
        return MISSING_PART
    safe = UNSAFE.sub("_", text)
    safe = "_" + safe[1:] if safe.startswith(".") else safe
    if (safe == text or not unique) and len(safe) <= PART_MAX:
        return safe
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_CHARS]
    return f"{safe[:PART_MAX - DIGEST_CHARS - 1]}-{digest}"


@dataclasses.dataclass(frozen=True)
class OutputOptions:
    limit: int | None = None
    directory: str | None = None

    @classmethod
    def from_params(cls, params: t.Mapping[str, t.Any]) -> OutputOptions:
        """The options, checked before any API call: a bad value fails with what to set instead."""
        limit = params.get("output_limit")
        if limit is not None and limit < 0:
            raise InvalidInput(f"output_limit must be 0 or more characters, got {limit}; leave it unset to keep every character")
        directory = params.get("output_dir")
        if directory is not None:
            directory = check_directory(directory)
        # The same rule as endpoint_url: https, or plain HTTP to loopback or with allow_plain_http.
        check_plain_http(params.get("s3_endpoint_url"), bool(params.get("allow_plain_http")), params.get("provider") or "", option="s3_endpoint_url")
        check_plain_http(params.get("oss_endpoint_url"), bool(params.get("allow_plain_http")), params.get("provider") or "", option="oss_endpoint_url")
        check_plain_http(params.get("logs_endpoint_url"), bool(params.get("allow_plain_http")), params.get("provider") or "", option="logs_endpoint_url")
        return cls(limit=limit, directory=directory)

    @property
    def active(self) -> bool:
        return self.limit is not None or self.directory is not None


def check_directory(directory: str) -> str:
    """``directory``, created if missing (readable by its owner only), or InvalidInput saying why it cannot be used."""
    if not os.path.isabs(directory):
        raise InvalidInput(
            f"output_dir must be an absolute path, got {directory!r}: a relative path would depend on where the module runs; "
            "write it as '{{ playbook_dir }}/" + directory.lstrip("./") + "' for example"
        )
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except FileExistsError:
        raise InvalidInput(f"output_dir {directory!r} exists and is not a directory; choose a directory") from None
    except OSError as error:
        raise InvalidInput(f"output_dir {directory!r} cannot be created ({error.strerror}); choose a directory this user may write") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidInput(f"output_dir {directory!r} is not writable by this user; choose a directory this user may write")
    return os.path.realpath(directory)


def without_secrets(value: t.Any, secrets: t.Collection[str]) -> t.Any:
    """``value`` with every secret of the task masked as the module masks its result (no_log values,
    passwords in URLs): what goes into a file on the controller hides what the result hides."""
    return remove_values(value, secrets) if secrets else value


# How json.dumps writes the numbers str() writes as nan, inf and -inf: remove_values compares str(),
# so a secret that is one of these names could hide in a number whose JSON does not show it.
_NON_FINITE_NAMES = frozenset(str(value) for value in (math.nan, math.inf, -math.inf))


def secret_finder(secrets: t.Collection[str]) -> t.Callable[[t.Any], tuple[str | None, bool]]:
    """A function giving (the JSON of a value or None, whether masking it may change it).

    JSON writes each character of a string on its own, so a string (or a number, written as str()
    writes it) that holds a secret holds it, escaped as JSON escapes it, in the JSON too: a value
    whose JSON shows no secret is left as it is by remove_values. A value JSON cannot write as
    plain JSON (bytes, dates: str() may write them otherwise) gives None, and may change.
    """
    shown = [json.dumps(str(secret))[1:-1] for secret in secrets]
    always = any(str(secret) in _NON_FINITE_NAMES or not str(secret) for secret in secrets)

    def find(value: t.Any) -> tuple[str | None, bool]:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            return None, bool(shown)
        return text, bool(shown) and (always or any(secret in text for secret in shown))

    return find


def without_secrets_where_shown(result: dict[str, t.Any], secrets: t.Collection[str]) -> dict[str, t.Any]:
    """``result`` masked as :func:`without_secrets` masks it, walking only its values (and the items
    of its lists: the records) whose JSON may show a secret (:func:`secret_finder`); a new dict.

    A task's options (``invocation.module_args``) hold its secrets and are walked; the records,
    almost never."""
    find = secret_finder(secrets)

    def masked(value: t.Any) -> t.Any:
        return without_secrets(value, secrets) if find(value)[1] else value

    return {key: [masked(item) for item in value] if isinstance(value, list) else masked(value) for key, value in result.items()}


def json_masker(secrets: t.Collection[str]) -> t.Callable[[t.Any], str]:
    """A function giving the JSON of a value (``default=str``) with every secret masked exactly as
    :func:`without_secrets` masks it.

    The value is walked (remove_values, a Python walk of every string) only when its JSON may show
    a secret (:func:`secret_finder`): over a fleet's records almost none does, and the walk was most
    of a wait's finish (1.5 s of CPU for 10,000 records, measured with py-spy).
    """
    find = secret_finder(secrets)

    def to_json(value: t.Any) -> str:
        text, may_change = find(value)
        if may_change:
            return json.dumps(without_secrets(value, secrets), default=str)
        return text if text is not None else json.dumps(value, default=str)

    return to_json


def _write(root: str, parts: t.Sequence[str], name: str, text: str, secrets: t.Collection[str] = ()) -> str:
    """Write ``text``, its secrets masked, to root/parts.../name (replacing a file from an earlier
    read) and return its path."""
    text = without_secrets(text, secrets)
    folder = os.path.join(root, *parts)
    path = os.path.join(folder, name)
    # safe_part already keeps every part inside; this refuses a symlink planted under the root.
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if os.path.commonpath([os.path.realpath(folder), root]) != root:
        raise OSError(errno.EACCES, f"{folder} leads out of output_dir")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8", "surrogateescape"))
        # Atomic, and replaces a link at ``path`` rather than writing through it.
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def _record_parts(record: dict[str, t.Any]) -> list[str]:
    """provider / run / instance, each a safe part."""
    provider = record.get("provider") or ""
    # The id that names a run: SSM's command, Alibaba Cloud's and Zenlayer's invocation.
    run_key = CAPABILITIES[provider].run_id if provider in CAPABILITIES else "command_id"
    run_id = record.get(run_key) or record.get("command_id") or record.get("invocation_id")
    return [safe_part(provider), safe_part(run_id), safe_part(record.get("instance_id"))]


def write_files(record: dict[str, t.Any], root: str, secrets: t.Collection[str] = ()) -> None:
    """Write the record's streams (each step's, or the run's without steps) under ``root`` and set the
    ``*_file`` fields; a stream the record does not carry (include_output false) gets no file.
    A file that cannot be written is a warning on the record, never a lost result."""
    parts = _record_parts(record)
    steps = record.get("steps") or []
    deciding = deciding_step(steps) if steps else None
    try:
        if steps:
            for index, step in enumerate(steps):
                prefix = safe_part(f"{index}.{step.get('name') or 'step'}", unique=False)
                for stream in STREAMS:
                    if step.get(stream) is not None:
                        step[f"{stream}_file"] = _write(root, parts, f"{prefix}.{stream}", step[stream], secrets)
            if deciding is not None:
                for stream in STREAMS:
                    record[f"{stream}_file"] = deciding.get(f"{stream}_file")
            return
        for stream in STREAMS:
            if record.get(stream) is not None:
                record[f"{stream}_file"] = _write(root, parts, stream, record[stream], secrets)
    except OSError as error:
        record.setdefault("output_warnings", []).append({
            "code": errno.errorcode.get(error.errno or 0, "OSError"),
            "message": f"the output could not be written under output_dir ({error.strerror or error}); the result keeps it",
        })


def limit_streams(holder: dict[str, t.Any], limit: int) -> None:
    """Cut each stream of a record or step to ``limit`` characters and count what was left out."""
    for stream in STREAMS:
        text = holder.get(stream)
        if isinstance(text, str):
            holder[stream], holder[f"{stream}_omitted"] = limit_text(text, limit)


def limit_raw(value: t.Any, keys: frozenset[str], limit: int) -> t.Any:
    """``raw`` with the vendor's output fields (at any depth) cut like the streams."""
    if isinstance(value, dict):
        return {key: (limit_text(item, limit)[0] if key in keys and isinstance(item, str) else limit_raw(item, keys, limit))
                for key, item in value.items()}
    if isinstance(value, list):
        return [limit_raw(item, keys, limit) for item in value]
    return value


def shape_output(records: t.Iterable[dict[str, t.Any]], options: OutputOptions, secrets: t.Collection[str] = ()) -> None:
    """Write the files (``secrets`` masked in them), then apply the limit, in place, to each record and its steps."""
    for record in records:
        if options.directory is not None:
            write_files(record, options.directory, secrets)
        if options.limit is not None:
            limit_streams(record, options.limit)
            for step in record.get("steps") or []:
                limit_streams(step, options.limit)
            provider = record.get("provider")
            if provider in CAPABILITIES and isinstance(record.get("raw"), dict):
                record["raw"] = limit_raw(record["raw"], CAPABILITIES[provider].raw_output_keys, options.limit)
