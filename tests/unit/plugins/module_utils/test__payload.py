# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documented answer shapes, how a foreign body is named, and the secrets inside URLs."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._payload import (
    ANY,
    NUMBER,
    TIME,
    OneOf,
    check_answer,
    describe_foreign_body,
    excerpt,
    fits,
    option_secrets,
    redact_secrets_in_text,
    shape_problem,
    url_passwords,
)

ITEM = {"Id": str, "Count?": int, "Size?": NUMBER, "At?": TIME, "Tags?": [str]}
SPEC = {"Items": [ITEM], "NextToken?": str, "Holder?": OneOf({"Item": [ITEM]}, [ITEM])}


@pytest.mark.parametrize("answer", [
    {"Items": []},
    {"Items": [{"Id": "a", "Count": 1, "Size": 2.5, "At": "2025-01-01T00:00:00Z", "Tags": ["x"]}], "NextToken": "t"},
    {"Items": [{"Id": "a", "At": 1700000000.5, "Count": None}], "NextToken": None, "Extra": {"anything": [1]}},
    {"Items": [{"Id": "a", "At": datetime.datetime(2025, 1, 1)}], "Holder": {"Item": []}},
    {"Items": [], "Holder": [{"Id": "b"}]},
])
def test_answers_with_the_documented_shape_pass(answer):
    assert shape_problem(answer, SPEC) is None
    assert fits(answer, SPEC)
    assert check_answer(answer, SPEC, provider="p", service="S", operation="Op") is answer


@pytest.mark.parametrize("answer, problem", [
    ([{"Items": []}], "the answer is a list, not an object"),
    ({}, "the answer has no Items"),
    ({"status": "UP"}, "the answer has no Items"),
    ({"Items": 3}, "Items is a number, not a list"),
    ({"Items": "[]"}, "Items is a string, not a list"),
    ({"Items": [{"Id": 7}]}, "Items[0].Id is a number, not a string"),
    ({"Items": [{"Id": "a", "Count": True}]}, "Items[0].Count is a boolean, not a whole number"),
    ({"Items": [{"Id": "a", "Count": 1.5}]}, "Items[0].Count is a number, not a whole number"),
    ({"Items": [{"Id": "a", "Size": "2"}]}, "Items[0].Size is a string, not a number"),
    ({"Items": [{"Id": "a", "At": True}]}, "Items[0].At is a boolean, not a timestamp"),
    ({"Items": [{"Id": "a", "Tags": "x"}]}, "Items[0].Tags is a string, not a list"),
    ({"Items": [], "Holder": "x"}, "Holder is a string, not an object or a list"),
    ({"Items": [], "Holder": {"Item": [{"Id": 1}]}}, "Holder.Item[0].Id is a number, not a string"),
])
def test_answers_without_it_name_where_and_how(answer, problem):
    assert shape_problem(answer, SPEC) == problem
    # The fast check that every answer takes first refuses it too.
    assert not fits(answer, SPEC)
    with pytest.raises(ProviderError) as caught:
        check_answer(answer, SPEC, provider="p", service="S", operation="Op", http_status=200)
    assert caught.value.message.startswith(f"the S Op answer does not have the documented shape ({problem}); it began: ")
    assert caught.value.code == "UnexpectedAnswer" and not caught.value.retryable and caught.value.http_status == 200


def test_any_and_plain_types():
    assert shape_problem([1, "x"], ANY) is None
    assert shape_problem({}, dict) is None
    assert shape_problem([], dict) == "the answer is a list, not an object"


@pytest.mark.parametrize("spec", [str, int, bool, NUMBER, TIME, dict, list, ANY, [int], [[str]], {"a?": [NUMBER]}, OneOf(int, [str])])
@pytest.mark.parametrize("value", [None, True, False, 0, 1, 1.5, "", "x", [], [1], ["x"], [[]], [["x"]], {}, {"a": [1]}, {"a": ["x"]},
                                   {"a": None}, datetime.datetime(2025, 1, 1)])
def test_the_fast_check_agrees_with_the_problem_finder(spec, value):
    assert fits(value, spec) == (shape_problem(value, spec) is None)


def test_the_excerpt_is_short_and_redacted():
    text = excerpt({"url": "https://user:pa55word@proxy.example:8443/x?Signature=abc&AccessKeyId=AK", "pad": "y" * 500})
    assert len(text) <= 123 and text.endswith("...")
    assert "pa55word" not in text and "Signature=abc" not in text
    assert "https://<credentials redacted>@proxy.example:8443/x?<query redacted>" in text
    assert excerpt(b"  two\n  lines ") == "two lines"


@pytest.mark.parametrize("body, named", [
    ("<html>\r\n<head><title>500 Internal Server Error</title></head><body>...</body></html>",
     "an HTML page titled '500 Internal Server Error' (the error page of a proxy or gateway in front of the API, not the vendor's JSON)"),
    ("<!DOCTYPE html><html><body><h1>Bad   Gateway</h1></body></html>", "an HTML page saying 'Bad Gateway' (the error page"),
    ("", "an empty body"),
    ("upstream connect error", "a body that is not JSON: 'upstream connect error'"),
])
def test_a_foreign_body_is_named_not_quoted_as_markup(body, named):
    assert describe_foreign_body(body).startswith(named)
    assert "<html" not in describe_foreign_body(body).lower()


@pytest.mark.parametrize("url, secrets", [
    ("https://deploy:s3cret%2Fpass@proxy.example:8443/", ["deploy:s3cret%2Fpass", "s3cret%2Fpass", "s3cret/pass"]),
    ("http://ghp_0123456789abcdef@host/", ["ghp_0123456789abcdef"]),
    ("http://admin@host/", []),   # a short lone user name is not a secret worth blanking everywhere
    ("https://host.example/path", []),
    ("user:pass@host.example", ["user:pass", "pass"]),
    (None, []),
])
def test_url_passwords(url, secrets):
    assert url_passwords(url) == secrets


def test_option_secrets_come_from_endpoint_url_and_every_url_in_aws_config():
    params = {
        "endpoint_url": "https://u:first-secret@ssm.example",
        "aws_config": {"proxies": {"https": "http://p:second-secret@proxy:3128", "http": "http://proxy:3128"},
                       "retries": {"mode": "standard"}, "proxies_config": {"proxy_ca_bundle": "/etc/ca.pem"}},
        "secret_key": "not-looked-at-here",
    }
    assert option_secrets(params) == ["u:first-secret", "first-secret", "p:second-secret", "second-secret"]
    assert option_secrets({"endpoint_url": None, "aws_config": None}) == []


def test_option_secrets_come_from_the_output_endpoints_too():
    params = {"s3_endpoint_url": "https://u:s3-secret@s3.example", "logs_endpoint_url": "https://u:logs-secret@logs.example"}
    assert option_secrets(params) == ["u:s3-secret", "s3-secret", "u:logs-secret", "logs-secret"]


def test_redact_secrets_in_text():
    text = 'Could not connect to the endpoint URL: "http://mci:pw-123@127.0.0.1:9/?Action=X&Signature=Y"'
    assert redact_secrets_in_text(text) == 'Could not connect to the endpoint URL: "http://<credentials redacted>@127.0.0.1:9/?<query redacted>"'
