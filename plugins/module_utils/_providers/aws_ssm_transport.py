# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Every SSM request bounded in total: connect, send, and the whole answer, by one deadline.

botocore's connect and read timeouts bound each wait on the socket, not a request: an endpoint
(or a proxy) that sends its answer one byte a second never trips the read timeout, and the
request would carry a wait far past its budget. ``BoundedSender`` handles botocore's
``before-send`` event, whose handler may answer in botocore's place (a documented extension
point: https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html). It sends the
signed request through the client's own HTTP session, so the endpoint, the proxies, TLS
verification and the CA bundle are exactly what botocore would use, and reads the answer a piece
at a time against the deadline, as the other providers do (``_http``). Each attempt goes through
it, so botocore's retry rules (reads retried, starts never) see every outcome as before.
"""

from __future__ import annotations

import http.client
import io
import threading
import time
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils import _http

try:
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
except ImportError:  # aws_ssm reports the missing dependency before any client is made
    AWSResponse = ConnectionClosedError = None
    ReadTimeoutError = Exception


class AnswerTooSlow(ReadTimeoutError):  # type: ignore[misc,valid-type]
    """The endpoint did not answer in full by the request's deadline. A read timeout to botocore,
    so its retry rules apply to it as to any other."""

    fmt = "the SSM endpoint {endpoint_url} did not finish its answer within {seconds:.1f}s (request_timeout, or what was left of the budget)"


class BoundedSender:
    """A ``before-send`` handler: sends one attempt and reads its answer, both by a deadline.

    ``seconds()`` gives the time the attempt may take (``RequestTimer.bound``); if it raises, the
    request is not sent. Whether a request may start at all is decided before botocore builds it
    (``AwsSsmProvider._call`` for the first attempt, its ``needs-retry`` hook for the others).
    """

    def __init__(self, http_session: t.Any, seconds: t.Callable[[], float]) -> None:
        self._session = http_session
        self._seconds = seconds

    @classmethod
    def install(cls, client: t.Any, seconds: t.Callable[[], float], service: str = "ssm") -> bool:
        """Route every request of ``client`` through a BoundedSender. False, and botocore sends on
        its own (each socket wait bounded, not the whole answer), if the client has no HTTP session
        where botocore has kept it since its first releases."""
        session = getattr(getattr(client, "_endpoint", None), "http_session", None)
        if session is None or not callable(getattr(session, "send", None)):
            return False
        client.meta.events.register(f"before-send.{service}", cls(session, seconds))
        return True

    def __call__(self, request: t.Any, **_kwargs: t.Any) -> t.Any:
        seconds = self._seconds()
        deadline = time.monotonic() + seconds
        # The session hands the answer over unread; it is read below, against the deadline.
        request.stream_output = True
        response = self._answer_by(request, deadline, seconds)
        try:
            body = _http._read_by(_Unread(response.raw), deadline)  # pylint: disable=protected-access
        except _http.AnswerTooSlow:
            raise AnswerTooSlow(endpoint_url=request.url, seconds=seconds) from None
        except (OSError, http.client.HTTPException) as error:
            # A connection reset or closed in the middle of the answer: what botocore's session
            # raises when it reads the answer itself (a transient error, retried for reads).
            raise ConnectionClosedError(endpoint_url=request.url, request=request) from error
        # The body is all in, so the connection can serve the next request.
        release = getattr(response.raw, "release_conn", None)
        if release is not None:
            release()
        return AWSResponse(response.url, response.status_code, response.headers, _Read(body))

    def _answer_by(self, request: t.Any, deadline: float, seconds: float) -> t.Any:
        """The answer's status and headers, once the session has them, or AnswerTooSlow at the deadline.

        Connecting, sending and waiting for the status line happen inside the session, where no
        deadline reaches (its timeouts bound each socket wait). So the session works in a thread
        that the caller stops waiting for at the deadline. An attempt given up this way ends in
        the background at the session's own timeouts (connect_timeout and read_timeout, which
        request_timeout sets), or with the process.
        """
        outcome: dict[str, t.Any] = {}

        def send() -> None:
            try:
                outcome["response"] = self._session.send(request)
            except Exception as error:  # pylint: disable=broad-exception-caught  # raised again by the caller
                outcome["error"] = error

        worker = threading.Thread(target=send, name="ssm-request", daemon=True)
        worker.start()
        worker.join(max(deadline - time.monotonic(), 0.0))
        if worker.is_alive():
            raise AnswerTooSlow(endpoint_url=request.url, seconds=seconds)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]


class _Unread:
    """An answer not read yet, as ``_http._read_by`` takes it: the urllib3 response, a way to drop it."""

    def __init__(self, raw: t.Any) -> None:
        self.raw = raw

    @property
    def content(self) -> bytes:
        """The whole body at once (when the reader cannot read it piece by piece)."""
        return b"".join(self.raw.stream())

    def close(self) -> None:
        self.raw.close()


class _Read:
    """A body already read, where botocore expects the urllib3 response it would read itself."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._unread = io.BytesIO(body)

    def stream(self, *_args: t.Any, **_kwargs: t.Any) -> t.Iterator[bytes]:
        yield self._body

    def read(self, amt: int | None = None, **_kwargs: t.Any) -> bytes:
        """A streaming answer (S3 GetObject's Body) reads the body through this, as from urllib3."""
        return self._unread.read(amt)

    def close(self) -> None:
        self._unread.close()
