# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One classify_error and one environment reader, driven by each provider's spec."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, InvalidInput, NotFound, ProviderError, Throttled
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_spec import SPEC as ALIBABA
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_spec import SPEC as AWS
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos_spec import SPEC as ZENLAYER
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import classify_error, setting


@pytest.mark.parametrize("spec, code, status, kind, retryable", [
    (AWS, "ThrottlingException", 400, Throttled, True),
    (AWS, "SomethingElse", 429, Throttled, True),
    (AWS, "AccessDeniedException", 400, AccessDenied, False),
    (AWS, "InvalidCommandId", 400, NotFound, False),
    (AWS, "ValidationException", 400, InvalidInput, False),
    (AWS, "RequestTimeout", 400, ProviderError, True),
    (AWS, "SomethingElse", 503, ProviderError, True),
    (AWS, "SomethingElse", 400, ProviderError, False),
    (ALIBABA, "Throttling.User", 400, Throttled, True),
    (ALIBABA, "Rejected.Throttling", 400, Throttled, True),
    (ALIBABA, "InvalidAccessKeyId.NotFound", 404, AccessDenied, False),
    (ALIBABA, "InvalidInvokeId.NotFound", 404, NotFound, False),
    (ALIBABA, "Some.Thing.NotFound", 404, NotFound, False),
    (ALIBABA, "MissingParameter.InvokeId", 400, InvalidInput, False),
    (ALIBABA, "InternalError", 400, ProviderError, True),
    (ZENLAYER, "REQUEST_LIMIT_EXCEEDED", 400, Throttled, True),
    (ZENLAYER, "WHATEVER", 401, AccessDenied, False),
    (ZENLAYER, "INSTANCE_NOT_FOUND_HERE", 400, NotFound, False),
    (ZENLAYER, "MISSING_PARAMETER", 422, InvalidInput, False),
    (ZENLAYER, "SERVICE_TEMPORARY_UNAVAILABLE", 409, ProviderError, True),
])
def test_each_spec_classifies_its_codes(spec, code, status, kind, retryable):
    error = classify_error(spec, "Act", code, "it went wrong.", http_status=status, request_id="req-9")
    # The class itself, not a subclass (ProviderError is the base of the others).
    assert error.__class__ is kind
    assert (error.code, error.request_id, error.http_status, error.provider, error.retryable) == (code, "req-9", status, spec.name, retryable)
    assert error.message.startswith(f"{spec.service} Act failed: it went wrong")


def test_access_denied_says_what_to_check():
    assert classify_error(AWS, "ListCommands", "AccessDenied", "no", http_status=400).message.endswith(AWS.errors.access_hint)


def test_signature_errors_keep_their_first_sentence():
    message = "The request signature we calculated does not match. The canonical string was: secret stuff"
    error = classify_error(AWS, "ListCommands", "SignatureDoesNotMatch", message, http_status=403)
    assert "canonical" not in error.message


def test_no_code_names_the_status():
    assert classify_error(ZENLAYER, "Act", None, None, http_status=502).code == "HTTP502"
    assert classify_error(AWS, "Act", None, None).code == "Unknown"


def test_setting_prefers_the_option_then_the_variables_in_order(monkeypatch):
    environment = {"token": ("FIRST_TOKEN", "SECOND_TOKEN")}
    monkeypatch.delenv("FIRST_TOKEN", raising=False)
    monkeypatch.setenv("SECOND_TOKEN", "second")
    assert setting({}, "token", environment) == "second"
    monkeypatch.setenv("FIRST_TOKEN", "first")
    assert setting({"token": ""}, "token", environment) == "first"
    assert setting({"token": "given"}, "token", environment) == "given"
    assert setting({}, "region", environment) is None
