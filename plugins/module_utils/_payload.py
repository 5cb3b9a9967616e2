# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The boundary between a vendor's JSON and our records.

The record parsers read fields by their documented types. A gateway, a proxy or a changed API can
send something else (a string where a list belongs, an object where a number does); the parser
then fails deep inside with a Python error. This decorator turns exactly those errors into one
typed ProviderError that names the payload, so a module fails with a message, never a traceback.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import typing as t
import urllib.parse

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import ProviderError

# The errors a well-typed parser raises only when a payload has the wrong shape.
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError)
QUOTED = 200


def vendor_payload(provider: str, what: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
    """Decorate a parser of ``what`` (for example "ListCommandInvocations item") from ``provider``."""

    def decorate(parse: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(parse)
        def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return parse(*args, **kwargs)
            except SHAPE_ERRORS as error:
                detail = f"{error.__class__.__name__}: {error}"[:QUOTED]
                raise ProviderError(
                    f"the {what} in the {provider} answer has a shape this collection cannot read ({detail}); "
                    "check that endpoint_url points at the vendor's API and not at a proxy that rewrites it",
                    provider=provider,
                ) from None

        return guarded

    return decorate


# -- documented answer shapes ---------------------------------------------------------------------
#
# Each provider describes, as data, the shape its vendor documents for every answer it reads: an
# object's keys map to a spec, and a key ending in "?" may be missing or null. A spec is a type
# (str, int, bool, dict, list), NUMBER, TIME, ANY, a nested object (dict) or a list of one spec
# (a list whose items all have that spec). Keys not listed are not checked (vendors add fields).
# check_answer refuses anything else with one ProviderError that names the operation and quotes
# a short, redacted excerpt of the answer, before any parser reads it.

NUMBER = "number"   # an int or a float, not a bool
TIME = "time"       # a timestamp: epoch seconds, a date-time string, or a parsed datetime (botocore)
ANY = "any"
EXCERPT = 120


class OneOf:
    """Any of several specs (a vendor that documents two forms of one field)."""

    def __init__(self, *specs: t.Any) -> None:
        self.specs = specs


def type_name(value: t.Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _spec_name(spec: t.Any) -> str:
    if isinstance(spec, OneOf):
        return " or ".join(_spec_name(each) for each in spec.specs)
    if isinstance(spec, dict) or spec is dict:
        return "an object"
    if isinstance(spec, list) or spec is list:
        return "a list"
    return {str: "a string", int: "a whole number", bool: "a boolean", NUMBER: "a number", TIME: "a timestamp"}.get(spec, "a value")


def shape_problem(value: t.Any, spec: t.Any, where: str = "the answer") -> str | None:
    """None when ``value`` has the shape ``spec``; otherwise where and how it differs."""
    if spec == ANY:
        return None
    if isinstance(spec, OneOf):
        problems = [shape_problem(value, each, where) for each in spec.specs]
        if any(problem is None for problem in problems):
            return None
        # Name the form the value came closest to: the first whose own type it has.
        deeper = [problem for problem in problems if not problem.startswith(f"{where} is ")]
        return deeper[0] if deeper else f"{where} is {type_name(value)}, not {_spec_name(spec)}"
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{where} is {type_name(value)}, not an object"
        for key, member in spec.items():
            optional = key.endswith("?")
            name = key.rstrip("?")
            if value.get(name) is None:
                if optional:
                    continue
                return f"{where} has no {name}"
            problem = shape_problem(value[name], member, f"{name}" if where == "the answer" else f"{where}.{name}")
            if problem:
                return problem
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{where} is {type_name(value)}, not a list"
        for index, item in enumerate(value):
            problem = shape_problem(item, spec[0], f"{where}[{index}]")
            if problem:
                return problem
        return None
    if spec == NUMBER:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif spec == TIME:
        ok = isinstance(value, (int, float, str, datetime.datetime)) and not isinstance(value, bool)
    elif spec is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, spec)
    return None if ok else f"{where} is {type_name(value)}, not {_spec_name(spec)}"


# The types a scalar spec accepts, and whether a bool is refused (bool is an int to isinstance).
_SCALARS: dict[t.Any, tuple[tuple[type, ...], bool]] = {
    NUMBER: ((int, float), True),
    TIME: ((int, float, str, datetime.datetime), True),
    int: ((int,), True),
}
# A dict spec's members, read once: (name, optional, spec, scalar types or None, bool refused).
_MEMBERS: dict[int, tuple[dict[str, t.Any], list[tuple[str, bool, t.Any, tuple[type, ...] | None, bool]]]] = {}


def _members(spec: dict[str, t.Any]) -> list[tuple[str, bool, t.Any, tuple[type, ...] | None, bool]]:
    cached = _MEMBERS.get(id(spec))
    # The spec itself is kept beside its members, so its id cannot be reused by another object.
    if cached is not None and cached[0] is spec:
        return cached[1]
    members: list[tuple[str, bool, t.Any, tuple[type, ...] | None, bool]] = []
    for key, member in spec.items():
        if _is_scalar(member):
            members.append((key.rstrip("?"), key.endswith("?"), member) + _scalar(member))
        else:
            members.append((key.rstrip("?"), key.endswith("?"), member, None, False))
    _MEMBERS[id(spec)] = (spec, members)
    return members


def _is_scalar(spec: t.Any) -> bool:
    """Whether ``spec`` is a type or NUMBER or TIME (not ANY, an object, a list or a OneOf)."""
    return not (isinstance(spec, (dict, list, OneOf)) or spec == ANY)


def _scalar(spec: t.Any) -> tuple[tuple[type, ...], bool]:
    """(the types accepted, whether a bool is refused) of a scalar spec."""
    if spec in _SCALARS:
        return _SCALARS[spec]
    return (spec,), False


def fits(value: t.Any, spec: t.Any) -> bool:
    """Whether ``value`` has the shape ``spec``: what :func:`shape_problem` checks, without building
    the words of a problem it does not find. A vendor's answer over a large fleet has every
    instance's fields checked each round, so this is the path an answer takes; only an answer
    that does not fit is walked again by :func:`shape_problem`, for the message."""
    if spec == ANY:
        return True
    if isinstance(spec, OneOf):
        return any(fits(value, each) for each in spec.specs)
    if isinstance(spec, dict):
        return isinstance(value, dict) and _fits_members(value, _members(spec))
    if isinstance(spec, list):
        if not isinstance(value, list):
            return False
        member = spec[0]
        if isinstance(member, dict):
            members = _members(member)
            return all(isinstance(item, dict) and _fits_members(item, members) for item in value)
        return all(fits(item, member) for item in value)
    kinds, no_bool = _scalar(spec)
    return isinstance(value, kinds) and not (no_bool and isinstance(value, bool))


def _fits_members(value: dict[str, t.Any], members: list[tuple[str, bool, t.Any, tuple[type, ...] | None, bool]]) -> bool:
    for name, optional, member, kinds, no_bool in members:
        field = value.get(name)
        if field is None:
            if optional:
                continue
            return False
        if kinds is not None:
            if not isinstance(field, kinds) or (no_bool and isinstance(field, bool)):
                return False
        elif not fits(field, member):
            return False
    return True


def excerpt(answer: t.Any) -> str:
    """The first characters of an answer, with URL query strings and user-info taken out."""
    if isinstance(answer, (bytes, bytearray)):
        text = answer.decode("utf-8", "replace")
    elif isinstance(answer, str):
        text = answer
    else:
        try:
            text = json.dumps(answer, default=str, separators=(",", ":"))
        except (TypeError, ValueError):
            text = repr(answer)
    text = redact_secrets_in_text(" ".join(text.split()))
    return text if len(text) <= EXCERPT else f"{text[:EXCERPT]}..."


def wrong_shape(provider: str, service: str, operation: str, problem: str, answer: t.Any, http_status: int | None = None) -> ProviderError:
    return ProviderError(
        f"the {service} {operation} answer does not have the documented shape ({problem}); it began: {excerpt(answer)}. "
        "Check that endpoint_url points at the vendor's API and not at a proxy or gateway that answers in its place",
        provider=provider, code="UnexpectedAnswer", http_status=http_status,
    )


def check_answer(answer: t.Any, spec: t.Any, *, provider: str, service: str, operation: str, raw: t.Any = None,
                 http_status: int | None = None) -> t.Any:
    """``answer`` when it has the documented shape ``spec``; a ProviderError otherwise (not retried:
    whatever answers in the vendor's place will answer the same way again)."""
    if fits(answer, spec):
        return answer
    problem = shape_problem(answer, spec)
    if problem:
        raise wrong_shape(provider, service, operation, problem, answer if raw is None else raw, http_status)
    return answer


# -- bodies that are not the vendor's JSON ---------------------------------------------------------

HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
HTML_TAG = re.compile(r"<[^>]*>")


def describe_foreign_body(text: str) -> str:
    """How a message names a body that is not the vendor's JSON: an HTML page by its title (the error
    page of a proxy or gateway), anything else by a short, redacted excerpt."""
    stripped = (text or "").strip()
    if not stripped:
        return "an empty body"
    if stripped[:200].lower().startswith(("<!doctype html", "<html")) or HTML_TITLE.search(stripped[:2000]):
        title = HTML_TITLE.search(stripped[:2000])
        if title:
            named = f" titled {' '.join(title.group(1).split())[:80]!r}"
        else:
            words = " ".join(HTML_TAG.sub(" ", stripped[:2000]).split())
            named = f" saying {excerpt(words[:80])!r}" if words else ""
        return f"an HTML page{named} (the error page of a proxy or gateway in front of the API, not the vendor's JSON)"
    return f"a body that is not JSON: {excerpt(stripped)!r}"


# -- secrets inside URLs ------------------------------------------------------------------------------

# user:password@ (or a lone user@) right after a scheme: basic credentials in a URL.
MIN_LONE_USER = 8
USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@'\"]+)@")
QUERY_IN_TEXT = re.compile(r"\?[^\s'\")]*")


def redact_userinfo(text: str) -> str:
    """``text`` with the user-info of every URL in it replaced."""
    return USERINFO_IN_TEXT.sub(r"\g<scheme><credentials redacted>@", text)


def redact_secrets_in_text(text: str) -> str:
    """``text`` with URL user-info and URL query strings (signed parameters) replaced."""
    return QUERY_IN_TEXT.sub("?<query redacted>", redact_userinfo(text))


def url_passwords(url: t.Any) -> list[str]:
    """The secrets a URL carries in its user-info (``user:password@``), to mask wherever the URL is
    echoed: the password, and the whole user-info too (a token is often given as the user alone)."""
    if not isinstance(url, str) or "@" not in url:
        return []
    match = USERINFO_IN_TEXT.search(url if "://" in url else f"https://{url}")
    if not match:
        return []
    userinfo = match.group("userinfo")
    user, _sep, password = userinfo.partition(":")
    secrets = [userinfo]
    if password:
        secrets.append(password)
        secrets.append(urllib.parse.unquote(password))
    elif user:
        secrets.append(urllib.parse.unquote(user))
    # A lone user name is masked only when long enough to be a token: masking "admin" would blank
    # that word everywhere in the output.
    return [secret for secret in dict.fromkeys(secrets) if secret and (secret != user or len(secret) >= MIN_LONE_USER)]


def option_secrets(params: t.Mapping[str, t.Any]) -> list[str]:
    """Secrets carried inside options that are not credential options: the user-info of
    ``endpoint_url``, of ``s3_endpoint_url``, of ``oss_endpoint_url``, of ``logs_endpoint_url``
    and of every URL in ``aws_config`` (its ``proxies``). Those options are not ``no_log`` as a
    whole (that would hide a harmless URL, and for a dict would mask every value in it, such as
    "standard", wherever it appears in the output); only the secrets in them are masked."""
    found: list[str] = []

    def walk(value: t.Any) -> None:
        if isinstance(value, str):
            found.extend(url_passwords(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(params.get("endpoint_url"))
    walk(params.get("s3_endpoint_url"))
    walk(params.get("oss_endpoint_url"))
    walk(params.get("logs_endpoint_url"))
    walk(params.get("aws_config"))
    # invocation_wait's waits: each item may have its own endpoint and botocore configuration.
    for item in params.get("waits") or ():
        if isinstance(item, dict):
            walk(item.get("endpoint_url"))
            walk(item.get("aws_config"))
    return list(dict.fromkeys(found))
