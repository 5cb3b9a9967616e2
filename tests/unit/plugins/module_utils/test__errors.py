# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors keep the vendor facts and turn them into messages and result keys."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import (
    AccessDenied,
    InvalidInput,
    InvocationError,
    MissingDependency,
    NotFound,
    ProviderError,
    Throttled,
    vendor_message,
)


def test_describe_appends_the_vendor_facts():
    error = ProviderError("SSM ListCommands failed: boom", code="InternalServerError", request_id="req-1", http_status=500)
    assert error.describe() == "SSM ListCommands failed: boom (error code InternalServerError, request id req-1, HTTP 500)"
    assert str(error) == "SSM ListCommands failed: boom"


def test_describe_without_facts_is_the_message():
    assert InvalidInput("bad").describe() == "bad"
    assert NotFound("gone", request_id="r").describe() == "gone (request id r)"


@pytest.mark.parametrize(
    "error, kind",
    [
        (InvalidInput("x"), "invalid_input"),
        (NotFound("x"), "not_found"),
        (AccessDenied("x"), "access_denied"),
        (Throttled("x"), "throttled"),
        (ProviderError("x"), "provider_error"),
        (MissingDependency("boto3", None), "missing_dependency"),
        (InvocationError("x"), "error"),
    ],
)
def test_as_result(error, kind):
    assert error.as_result() == {"error_code": None, "request_id": None, "error_kind": kind}


def test_as_result_keeps_code_and_request_id():
    assert AccessDenied("no", code="AccessDeniedException", request_id="abc").as_result() == {
        "error_code": "AccessDeniedException",
        "request_id": "abc",
        "error_kind": "access_denied",
    }


def test_retryable_defaults():
    assert Throttled("slow down").retryable is True
    assert Throttled("slow down", retryable=False).retryable is False
    assert ProviderError("x").retryable is False
    assert NotFound("x", retryable=True).retryable is True


def test_missing_dependency():
    error = MissingDependency("boto3", "Traceback ...")
    assert error.message == "the Python library boto3 is required"
    assert (error.library, error.import_traceback) == ("boto3", "Traceback ...")
    assert isinstance(error, InvocationError)


def test_a_subclass_keeps_the_kind_of_its_family():
    class NarrowerInput(InvalidInput):
        pass

    assert NarrowerInput("x").as_result()["error_kind"] == "invalid_input"


@pytest.mark.parametrize(
    "message, first_sentence, expected",
    [
        ("Specified access key is not found.", False, "Specified access key is not found"),
        ("One. Two.\n\nDetails the server computed", False, "One. Two"),
        ("One. Two.\n\nDetails the server computed", True, "One"),
        ("", False, "no message"),
        (None, True, "no message"),
    ],
)
def test_vendor_message(message, first_sentence, expected):
    assert vendor_message(message, first_sentence=first_sentence) == expected
