# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The signed-HTTP client of the providers that speak HTTP themselves (Alibaba Cloud Assistant,
Zenlayer ZOS): one HTTP POST that answers a JSON object or a typed error, and the API-level retry loop.

A vendor brings a signer (a subclass's ``sign``: the URL, headers and body of one attempt), the
check of a successful answer's shape (``answer``) and its spec (error codes, which actions are not
idempotent, its retry-after header). These retries ride out a throttled or failing call; the
waiter's rounds are a separate, slower loop above them.
"""

from __future__ import annotations

import dataclasses
import json
import random
import socket
import time
import traceback
import typing as t
import urllib.parse

try:
    import requests
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import MIN_REQUEST_SECONDS, BudgetSpent, RequestTimer
from ansible_collections.multicloud.invocations.plugins.module_utils._endpoint import check_plain_http
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, InvocationError, MissingDependency, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import ProviderSpec, classify_error
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import (
    describe_foreign_body,
    excerpt,
    redact_secrets_in_text,
    redact_userinfo,
    type_name,
)

# At most this many characters of a body that is not JSON are quoted in the message.
QUOTED_BODY = 200
# The most one read of an answer takes (it returns sooner with what has arrived).
READ_PIECE = 65536
# A page token that expires in the middle of a walk over pages starts the walk again from the
# first page, this many times at most; then the round fails as a transient error (the waiter retries).
PAGE_RESTARTS = 2
# API-level retries (throttling, 5xx, a lost connection): a few, with jittered backoff; the waiter
# retries beyond them.
MAX_ATTEMPTS = 4
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


def redact_urls(text: str) -> str:
    """``text`` with every URL query string and URL user-info replaced. requests quotes the URL it
    tried in a transport error: a signed query holds the signature, the access key id and, with STS
    credentials, the security token itself, and an endpoint_url may carry a password."""
    return redact_secrets_in_text(text)


def _without_query(url: str) -> str:
    return redact_userinfo(url.split("?", 1)[0])


def post_json(
    session: t.Any,
    url: str,
    *,
    service: str,
    provider: str,
    error_keys: tuple[str, str],
    headers: dict[str, str],
    data: bytes | None = None,
    timeout: float,
    verify: t.Any,
    endpoint: str | None = None,
) -> tuple[int, t.Mapping[str, str], dict[str, t.Any]]:
    """(HTTP status, headers, body). A body that is not a JSON object becomes an error envelope in the
    vendor's own keys (``error_keys`` = code key, message key) so the caller classifies it like any other.
    ``endpoint`` is how messages name the endpoint (the URL without its signed query string).
    """
    import requests  # the caller has checked it is installed

    started = time.monotonic()
    try:
        # A body only where the API takes one (Cloud Assistant sends everything in the query string).
        body = {"data": data} if data is not None else {}
        # Uncompressed and streamed, so the answer is read a piece at a time against the clock.
        headers = dict(headers, **{"Accept-Encoding": "identity"})
        response = session.post(url, headers=headers, timeout=timeout, verify=verify, stream=True, **body)
        content = _read_by(response, started + timeout)
    except AnswerTooSlow:
        raise ProviderError(
            f"the {service} endpoint {endpoint or _without_query(url)} did not finish its answer within {timeout:g}s "
            "(request_timeout, or what was left of the budget)", provider=provider, retryable=True,
        ) from None
    except requests.exceptions.SSLError as error:
        raise ProviderError(
            f"TLS verification of the {service} endpoint failed: {redact_urls(str(error))}. "
            "Give the CA bundle with ca_bundle, or set validate_certs: false for a test endpoint you trust",
            provider=provider,
        ) from None  # not chained: the original quotes the signed URL, and Ansible prints cause chains
    except requests.exceptions.RequestException as error:
        named = redact_userinfo(endpoint) if endpoint else _without_query(url)
        failure = ProviderError(
            f"cannot reach the {service} endpoint {named}: {redact_urls(str(error))}", provider=provider, retryable=True
        )
        failure.not_sent = _never_sent(error)
        raise failure from None  # not chained, as above
    code_key, message_key = error_keys
    text = content.decode(response.encoding or "utf-8", errors="replace")
    try:
        body = json.loads(text)
    except ValueError:
        if 200 <= response.status_code < 300:
            raise IncompleteAnswer(service, provider, response.status_code, text[:QUOTED_BODY]) from None
        body = {code_key: f"HTTP{response.status_code}", message_key: f"the endpoint answered with {describe_foreign_body(text)}"}
    if not isinstance(body, dict):
        # Not the documented shape, whatever the status: refused as such, with a redacted excerpt.
        body = {
            code_key: "UnexpectedAnswer" if 200 <= response.status_code < 300 else f"HTTP{response.status_code}",
            message_key: f"the answer does not have the documented shape (it is {type_name(body)}, not an object); it began: {excerpt(body)}. "
            "Check that endpoint_url points at the vendor's API and not at a proxy or gateway",
        }
    return response.status_code, response.headers, body


class AnswerTooSlow(Exception):
    """The answer did not arrive in full by its deadline."""


class AnswerTooLarge(Exception):
    """The answer went on past the most bytes the caller reads."""


def _read_by(response: t.Any, deadline: float, most: int | None = None) -> bytes:
    """The whole body, or AnswerTooSlow once ``deadline`` (monotonic) passes, or AnswerTooLarge once
    more than ``most`` bytes came (when given).

    requests' read timeout bounds each wait for the next bytes, not the whole answer: one byte a
    second never trips it. So the body is read a piece at a time (each read returns what has
    arrived), and before each read the socket may wait no longer than the time left.
    """
    reader = getattr(getattr(response, "raw", None), "_fp", None)  # http.client's response under urllib3
    read_some = getattr(reader, "read1", None)
    if read_some is None:
        return response.content  # no piecewise reader: the read timeout alone bounds it
    sock = getattr(getattr(getattr(reader, "fp", None), "raw", None), "_sock", None)
    pieces = []
    received = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AnswerTooSlow()
            if sock is not None:
                sock.settimeout(left)
            try:
                piece = read_some(READ_PIECE)
            except (socket.timeout, TimeoutError):
                raise AnswerTooSlow() from None
            if not piece:
                return b"".join(pieces)
            pieces.append(piece)
            received += len(piece)
            if most is not None and received > most:
                raise AnswerTooLarge()
    except (AnswerTooSlow, AnswerTooLarge):
        response.close()
        raise


def _never_sent(error: t.Any) -> bool:
    """Whether the request surely never left: no connection was made (refused, or no answer to the
    connect). Anything later (a reset, a read timeout) may come after the service acted on it."""
    import requests  # the caller has checked it is installed

    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.exceptions.ConnectionError) and type(reason).__name__ == "NewConnectionError"


def may_have_reached(failure: InvocationError) -> bool:
    """Whether a failed call may still have been carried out by the service: no definite answer
    came (a lost or cut-short reply, a server error) and the request may have left. A refusal
    (throttling, bad input, credentials) and a connection never made are definite."""
    return isinstance(failure, ProviderError) and failure.retryable and not getattr(failure, "not_sent", False)


class IncompleteAnswer(ProviderError):
    """A success status with a body that is not JSON: the answer was cut short on its way (a proxy,
    a dropped connection). Worth asking again for a read; the request itself did reach the service."""

    def __init__(self, service: str, provider: str, status: int, quoted: str) -> None:
        super().__init__(
            f"the {service} endpoint answered HTTP {status} with a body that is not JSON (cut short on its way?): {quoted!r}",
            provider=provider, http_status=status, retryable=True,
        )


def with_retries(
    attempt_once: t.Callable[[], dict[str, t.Any]],
    *,
    attempts: int,
    sleep: t.Callable[[float], None],
    pause: t.Callable[[int, t.Any], float],
    idempotent: bool = True,
    time_left: t.Callable[[], float | None] = lambda: None,
) -> dict[str, t.Any]:
    """Call ``attempt_once`` until it answers, a non-retryable error comes, or the attempts are used.

    ``pause(attempt, retry_after)`` gives the wait before the next attempt; ``retry_after`` is what
    the failed attempt set on its error (a vendor's retry-after header), or None. A call that is
    not ``idempotent`` (it starts something and carries no idempotency token) is sent again only
    after a failure that proves the service did not act on it (see ``may_have_reached``).
    """
    for attempt in range(1, attempts + 1):
        try:
            return attempt_once()
        except InvocationError as failure:
            if not failure.retryable or attempt == attempts or (not idempotent and may_have_reached(failure)) or isinstance(failure, BudgetSpent):
                raise
            wait = pause(attempt, getattr(failure, "retry_after", None))
            left = time_left()
            if left is not None and wait + MIN_REQUEST_SECONDS > left:
                raise  # no time left for the pause and another attempt: the waiter ends the wait
            sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def expired_page_token(failure: InvocationError, codes: frozenset[str], restarts: int) -> bool:
    """Whether ``failure`` is an expired page token the walk may restart after; raises a transient
    error instead once the restarts are used up."""
    if failure.code not in codes:
        return False
    if restarts >= PAGE_RESTARTS:
        raise ProviderError(
            f"{failure.message}: the page token kept expiring while the pages were read", provider=failure.provider,
            code=failure.code, request_id=failure.request_id, http_status=failure.http_status, retryable=True,
        ) from failure
    return True


def token_pages(
    fetch: t.Callable[[dict[str, t.Any]], tuple[list[t.Any], str | None]],
    request: dict[str, t.Any],
    expired_codes: frozenset[str],
    limit: int | None = None,
) -> list[t.Any]:
    """Every page of a list call that pages by ``NextToken`` (``fetch`` reads one page: its items
    and the next token), or the first ``limit`` items.

    A token can expire between two pages (a vendor error code in ``expired_codes``): the walk then
    reads the pages again from the first, a few times at most (:func:`expired_page_token`)."""
    request = dict(request)
    items: list[t.Any] = []
    restarts = 0
    while True:
        try:
            page, token = fetch(request)
        except InvalidInput as failure:
            if "NextToken" not in request or not expired_page_token(failure, expired_codes, restarts):
                raise
            restarts += 1
            items = []
            del request["NextToken"]
            continue
        items.extend(page)
        if not token or (limit and len(items) >= limit):
            return items[:limit] if limit else items
        request["NextToken"] = token


@dataclasses.dataclass
class SignedRequest:
    """One attempt of a call, as a signer makes it: a fresh date and nonce each time."""

    url: str
    headers: dict[str, str]
    data: bytes | None = None
    # How messages name the endpoint (the URL without its signed query string), when not the URL itself.
    endpoint: str | None = None


class SignedHttpClient:
    """Signs and sends one action of a vendor's API, retrying throttling and server errors a few times.

    ``api_calls`` counts the HTTP requests sent (every attempt), ``retries`` the attempts after the first.
    """

    def __init__(self, spec: ProviderSpec, options: dict[str, t.Any], endpoint: str, sleep: t.Callable[[float], None] = time.sleep) -> None:
        if not HAS_REQUESTS:
            raise MissingDependency("requests", REQUESTS_IMPORT_ERROR)
        self.spec = spec
        parsed = urllib.parse.urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        # Shown by the module or lookup once the task ends (the plain-HTTP opt-in).
        warning = check_plain_http(endpoint, bool(options.get("allow_plain_http")), spec.name)
        self.warnings = [warning] if warning else []
        self.base_url = f"{parsed.scheme}://{parsed.netloc}"
        self.host = parsed.netloc
        self.path = parsed.path
        # validate_certs: false wins over a CA bundle, as for aws_ssm.
        self.verify: t.Any = False if options.get("validate_certs") is False else (options.get("ca_bundle") or True)
        self.session = requests.Session()
        self._sleep = sleep
        self.api_calls = 0
        self.retries = 0
        # Each request's time: request_timeout, and no more than what is left of a wait's budget.
        self.timer = RequestTimer(options.get("request_timeout"), spec.name)

    # -- the vendor's hooks -------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections (see Provider.close)."""
        self.session.close()

    def sign(self, action: str, params: dict[str, t.Any]) -> SignedRequest:
        """The request of one attempt, signed."""
        raise NotImplementedError

    def answer(self, action: str, http_status: int, body: dict[str, t.Any]) -> dict[str, t.Any]:
        """A successful answer, checked against its documented shape."""
        raise NotImplementedError

    def refusal(self, action: str, http_status: int, body: dict[str, t.Any], headers: t.Mapping[str, str]) -> InvocationError:
        """An error answer as one of our typed errors (the spec's tables; a vendor may look at headers first)."""
        code_key, message_key = self.spec.error_keys
        return classify_error(self.spec, action, body.get(code_key), body.get(message_key), http_status=http_status,
                              request_id=body.get(self.spec.request_id_key))

    # -- the call -----------------------------------------------------------------------------

    def call(self, action: str, params: dict[str, t.Any]) -> dict[str, t.Any]:
        spec = self.spec
        code_key = spec.error_keys[0]
        sent = 0

        def attempt_once() -> dict[str, t.Any]:
            nonlocal sent
            request = self.sign(action, params)
            self.retries += 1 if sent else 0
            sent += 1
            self.api_calls += 1
            status, headers, body = post_json(
                self.session, request.url, service=spec.service, provider=spec.name, error_keys=spec.error_keys,
                headers=request.headers, data=request.data, timeout=self.timer.seconds(), verify=self.verify, endpoint=request.endpoint,
            )
            if status < 400 and code_key not in body:
                return self.answer(action, status, body)
            failure = self.refusal(action, status, body, headers)
            if spec.retry_after_header:
                failure.retry_after = headers.get(spec.retry_after_header)
            raise failure

        # An action that starts something without an idempotency token is not sent again after an
        # answer cut short, or the command could run twice.
        return with_retries(attempt_once, attempts=MAX_ATTEMPTS, sleep=self._sleep, pause=self._pause,
                            idempotent=action not in spec.not_idempotent, time_left=self.timer.left)

    @staticmethod
    def _pause(attempt: int, retry_after: t.Any = None) -> float:
        """Full jitter, capped; a retry-after header wins (milliseconds when large, else seconds)."""
        if retry_after:
            try:
                value = float(retry_after)
            except ValueError:
                value = 0.0
            if value > 0:
                return min(value / 1000.0 if value > 100 else value, BACKOFF_CAP)
        return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt))
