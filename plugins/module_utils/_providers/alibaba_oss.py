# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Read one object from Alibaba Cloud Object Storage Service (GetObject), signed with OSS signature V4.

The object is addressed virtual-hosted at ``https://<bucket>.oss-<region>.aliyuncs.com/<key>``
(https://www.alibabacloud.com/help/en/oss/user-guide/regions-and-endpoints), or path-style under
``oss_endpoint_url`` (``<endpoint>/<bucket>/<key>``) for a private endpoint or a test server; the
signature covers ``/<bucket>/<key>`` either way. It reuses the Cloud Assistant client's
credentials, TLS settings, request timer and counters, so a fetch is counted, bounded and
verified like any other call. An error answer is OSS's XML (Code, Message, RequestId); it becomes
an InvocationError with those kept (https://www.alibabacloud.com/help/en/oss/user-guide/error-responses).
An object larger than MAX_OBJECT_BYTES is not read: its Content-Length says so before the body comes,
and a body without one is cut off there; either is InvocationError ``ObjectTooLarge``.
"""

from __future__ import annotations

import datetime
import re
import time
import typing as t
import urllib.parse

from ansible_collections.multicloud.invocations.plugins.module_utils._endpoint import check_plain_http
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._http import AnswerTooLarge, AnswerTooSlow, _read_by, redact_urls
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import redact_userinfo
from ansible_collections.multicloud.invocations.plugins.module_utils._signing_oss4 import oss4_headers

PROVIDER = "alibaba_ecs"
SERVICE = "OSS"
# An OSS error body names these; nothing else of it is quoted.
XML_FIELDS = ("Code", "Message", "RequestId")
# The most bytes of one object read back, as for SSM's S3 copy (aws_ssm_output.MAX_OBJECT_BYTES):
# 1,000 MiB. The whole body is held in memory, so a size bound, not only request_timeout, ends it.
MAX_OBJECT_BYTES = 1_000 * 1_048_576
OBJECT_TOO_LARGE = "ObjectTooLarge"


def object_location(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an object as Cloud Assistant names it in OssOutputUri: ``oss://<bucket>/<key>`` or
    ``https://<bucket>.oss-<region>.aliyuncs.com/<key>``. None if it names no object."""
    parts = urllib.parse.urlsplit(uri or "")
    host = parts.hostname or ""
    key = urllib.parse.unquote(parts.path).lstrip("/")
    if parts.scheme == "oss":
        bucket = host
    elif parts.scheme in ("http", "https") and ".oss-" in host:
        bucket = host.split(".oss-", 1)[0]
    else:
        return None
    return (bucket, key) if bucket and key else None


def _xml_field(body: str, name: str) -> str | None:
    match = re.search(rf"<{name}>([^<]*)</{name}>", body)
    return match.group(1).strip() if match else None


class OssReader:
    """GetObject over the Cloud Assistant client's session; ``get_object(bucket, key) -> str``."""

    def __init__(self, client: t.Any, endpoint_url: str | None, allow_plain_http: bool) -> None:
        self.client = client
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        warning = check_plain_http(endpoint_url, allow_plain_http, PROVIDER, option="oss_endpoint_url")
        if warning:
            client.warnings.append(warning)

    def url(self, bucket: str, key: str) -> tuple[str, str]:
        """(URL, Host) of the object."""
        quoted = urllib.parse.quote(key, safe="/")
        if self.endpoint_url:
            return f"{self.endpoint_url}/{bucket}/{quoted}", urllib.parse.urlsplit(self.endpoint_url).netloc
        host = f"{bucket}.oss-{self.client.region}.aliyuncs.com"
        return f"https://{host}/{quoted}", host

    def get_object(self, bucket: str, key: str) -> str:
        """The object's text (UTF-8), or InvocationError with OSS's code and request id."""
        import requests  # the Cloud Assistant client checked it is installed

        creds = self.client.credentials
        url, _host = self.url(bucket, key)
        headers = oss4_headers(
            "GET", bucket, key, self.client.region, creds.access_key_id, creds.access_key_secret,
            datetime.datetime.now(datetime.timezone.utc), security_token=creds.security_token,
        )
        headers["Accept-Encoding"] = "identity"
        timeout = self.client.timer.seconds()
        deadline = time.monotonic() + timeout
        self.client.api_calls += 1
        named = redact_userinfo(url)
        response: t.Any = None
        declared = ""
        try:
            # No redirect: the answer must come from the endpoint the request was signed for.
            response = self.client.session.get(url, headers=headers, timeout=timeout, verify=self.client.verify, stream=True, allow_redirects=False)
            declared = str(response.headers.get("Content-Length") or "")
            if declared.isdigit() and int(declared) > MAX_OBJECT_BYTES:
                response.close()
                raise AnswerTooLarge()
            content = _read_by(response, deadline, most=MAX_OBJECT_BYTES)
        except AnswerTooLarge:
            holds = f"holds {int(declared):,} bytes" if declared.isdigit() else "sent a body (no Content-Length) that went on"
            raise InvocationError(
                f"oss://{bucket}/{key} {holds}, more than the {MAX_OBJECT_BYTES:,} this collection reads of one object",
                provider=PROVIDER, code=OBJECT_TOO_LARGE, request_id=response.headers.get("x-oss-request-id")) from None
        except AnswerTooSlow:
            raise ProviderError(f"the {SERVICE} endpoint did not send {named} within {timeout:g}s", provider=PROVIDER) from None
        except requests.exceptions.RequestException as error:
            # Not chained: the original may quote the request; the message is redacted.
            raise ProviderError(f"cannot reach the {SERVICE} endpoint for {named}: {redact_urls(str(error))}", provider=PROVIDER) from None
        text = content.decode("utf-8", errors="replace")
        if 200 <= response.status_code < 300:
            return text
        code = _xml_field(text, "Code") or f"HTTP{response.status_code}"
        message = _xml_field(text, "Message") or f"{SERVICE} answered HTTP {response.status_code}"
        request_id = _xml_field(text, "RequestId") or response.headers.get("x-oss-request-id")
        raise InvocationError(f"{code}: {message}", provider=PROVIDER, code=code, request_id=request_id, http_status=response.status_code)
