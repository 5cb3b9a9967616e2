# CloudWatch Logs GetLogEvents (AWS JSON 1.1 over POST /, X-Amz-Target Logs_20140328.GetLogEvents),
# in front of the CloudWatch Logs server the agent delivers to (`logs_endpoint`, ssm_cwlogs.py).
#
# The events themselves are the peer's (a moto_server in the tests): this front-end checks the
# request's SigV4 signature, asks the peer for the page with plain botocore and passes its answer
# on, errors with their code, message, status and request id. It exists for what the peer will not
# do on demand: with `logs_endless_pages` (POST /_fleetsim/config) the forward token never repeats.
#
# GetLogEvents' API reference: a read from the head follows nextForwardToken, and "if you have
# reached the end of the stream, it returns the same token you passed in"; the operation "can
# return empty results while there are more log events available through the token", so an empty
# page alone is no end (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
# A stream that keeps growing, or an endpoint that never says it reached the end, hands a reader a
# new token on every page. With `logs_endless_pages` on, once the peer repeats a token (the real
# end) this front-end answers an empty page with a new token instead, and keeps doing so for every
# token it made: after the stream's real events a reader that waits for a repeated token reads forever.
from __future__ import annotations

import re
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fleetsim import sigv4
from fleetsim.faults import json_body_token
from fleetsim.ssm_s3 import BotocoreDelivery
from fleetsim.wire import AmzTargetRouting, Request, Response, VendorError, json_object_body, json_response

TARGET_PREFIX = "Logs_20140328."
CONTENT_TYPE = "application/x-amz-json-1.1"
# A token this front-end made past the stream's real end: the page number past it, then the peer's
# last (repeated) token, so each one differs from the one before.
PAST_END = re.compile(r"^f/fleetsim-past-end/(?P<page>\d+)/(?P<token>.*)$", re.DOTALL)


class LogsError(VendorError):
    def __init__(self, code: str, message: str, status: int = 400, request_id: str = "") -> None:
        super().__init__(code, message, status)
        self.request_id = request_id or str(uuid.uuid4())


class _PeerReader(BotocoreDelivery):
    """A botocore CloudWatch Logs client per endpoint and region (signed with fleetsim's first key)."""

    service = "logs"

    def client(self, endpoint: str, region: str) -> Any:
        return self._client(endpoint, region)


class LogsFrontEnd(AmzTargetRouting):
    """GetLogEvents, read from the peer at `settings.logs_endpoint`; see the top of this file."""

    vendor = "aws_logs"
    service = "logs"
    target_prefix = TARGET_PREFIX

    def __init__(self, settings: Any, secrets: dict[str, str]) -> None:
        self.settings = settings
        self.secrets = secrets
        self._peer = _PeerReader(settings, secrets)

    # -- routing (the same hooks as the other front-ends: faults, wrong answers, mishaps; matches
    # and operation come from AmzTargetRouting) --------------------------------------------------

    def throttled(self, request: Request) -> Response:
        return self._error(LogsError("ThrottlingException", "Rate exceeded"), self.operation(request))

    def error_response(self, request: Request, code: str, message: str, status: int) -> Response:
        return self._error(LogsError(code, message, status), self.operation(request))

    @staticmethod
    def page_token(request: Request) -> str:
        return json_body_token(request, "nextToken")

    def handle(self, request: Request) -> Response:
        op = self.operation(request)
        try:
            identity = sigv4.verify(request.method, request.path, request.headers, request.body, self.secrets,
                                    self.settings.signing_now(), self.service)
        except sigv4.SignatureError as exc:
            response = self._error(LogsError(exc.code, exc.message), op)
            response.signature_failed = True
            return response
        try:
            if op != "GetLogEvents":
                raise LogsError("UnknownOperationException", f"fleetsim answers GetLogEvents only, not {op}")
            params = self._parse_body(request.body)
            page, request_id = self._get_log_events(params, identity.region)
        except LogsError as exc:
            return self._error(exc, op)
        response = json_response(200, page, CONTENT_TYPE, operation=op, request_id=request_id)
        response.headers["x-amzn-RequestId"] = request_id
        return response

    def _get_log_events(self, params: dict[str, Any], region: str) -> tuple[dict[str, Any], str]:
        """One page, and the request id to answer with."""
        token = params.get("nextToken")
        past_end = PAST_END.match(token) if isinstance(token, str) else None
        if past_end is not None and self.settings.logs_endless_pages:
            # Past the real end: nothing more to read, and a new token all the same.
            page = int(past_end.group("page")) + 1
            return self._past_end(page, past_end.group("token")), str(uuid.uuid4())
        if past_end is not None:
            params = dict(params, nextToken=past_end.group("token"))
        answer, request_id = self._ask_peer(params, region)
        sent = params.get("nextToken")
        if self.settings.logs_endless_pages and sent and answer.get("nextForwardToken") == sent:
            return self._past_end(1, sent), request_id
        return answer, request_id

    @staticmethod
    def _past_end(page: int, last_token: str) -> dict[str, Any]:
        return {"events": [], "nextForwardToken": f"f/fleetsim-past-end/{page}/{last_token}",
                "nextBackwardToken": f"b/fleetsim-past-end/{page}/{last_token}"}

    def _ask_peer(self, params: dict[str, Any], region: str) -> tuple[dict[str, Any], str]:
        endpoint = self.settings.logs_endpoint
        if not endpoint:
            raise LogsError("ServiceUnavailableException",
                            "fleetsim reads log events from the CloudWatch Logs server the agent delivers to: set logs_endpoint", 503)
        client = self._peer.client(endpoint, region)
        try:
            answer = client.get_log_events(**params)
        except ClientError as error:
            details = error.response.get("Error", {})
            meta = error.response.get("ResponseMetadata", {})
            raise LogsError(details.get("Code") or "ServiceUnavailableException", details.get("Message") or str(error),
                            int(meta.get("HTTPStatusCode") or 500), meta.get("RequestId") or "") from None
        except BotoCoreError as error:  # a parameter the API refuses, or the peer out of reach
            raise LogsError("InvalidParameterException", str(error)) from None
        request_id = answer.pop("ResponseMetadata", {}).get("RequestId") or str(uuid.uuid4())
        return answer, request_id

    @staticmethod
    def _parse_body(body: bytes) -> dict[str, Any]:
        return json_object_body(body, lambda message: LogsError("SerializationException", message))

    @staticmethod
    def _error(exc: LogsError, op: str) -> Response:
        response = json_response(exc.status, {"__type": exc.code, "message": exc.message}, CONTENT_TYPE,
                                 operation=op, request_id=exc.request_id)
        response.headers["x-amzn-RequestId"] = exc.request_id
        return response
