# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event queue of an aws_ssm wait: where its SQS client goes, what it may wait, what it counts."""

from __future__ import annotations

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._sqs_events import QueueUnreadable

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/waits"
KEYS = {"access_key": "AKIAEXAMPLE000000001", "secret_key": "example-secret-0000000000000000000000000", "region": "eu-west-1"}


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_the_queue_is_read_at_the_sqs_endpoint_given_not_at_ssms():
    provider = AwsSsmProvider(dict(KEYS, endpoint_url="http://127.0.0.1:1", event_queue_endpoint_url="http://127.0.0.1:2"))
    queue = provider.event_queue(QUEUE)
    assert queue._client.meta.endpoint_url == "http://127.0.0.1:2"  # pylint: disable=protected-access
    assert queue._client.meta.region_name == "eu-west-1"  # pylint: disable=protected-access
    assert provider.client().meta.endpoint_url == "http://127.0.0.1:1"


def test_without_the_option_sqs_s_own_endpoint_or_aws_endpoint_url_sqs(monkeypatch):
    assert AwsSsmProvider(dict(KEYS)).event_queue(QUEUE)._client.meta.endpoint_url == "https://sqs.eu-west-1.amazonaws.com"  # pylint: disable=protected-access
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:3")
    assert AwsSsmProvider(dict(KEYS)).event_queue(QUEUE)._client.meta.endpoint_url == "http://127.0.0.1:3"  # pylint: disable=protected-access


def test_a_plain_http_sqs_endpoint_elsewhere_needs_the_opt_in():
    with pytest.raises(InvalidInput, match="event_queue_endpoint_url .* plain HTTP"):
        AwsSsmProvider(dict(KEYS, event_queue_endpoint_url="http://sqs.example.com")).event_queue(QUEUE)


def test_sqs_requests_are_not_counted_as_ssm_api_calls():
    provider = AwsSsmProvider(dict(KEYS, event_queue_endpoint_url="http://127.0.0.1:9", aws_config={"retries": {"total_max_attempts": 1}}))
    queue = provider.event_queue(QUEUE)
    with pytest.raises(QueueUnreadable, match="Could not connect"):
        queue.receive(0)
    assert provider.api_calls == 0 and queue.calls == 1


def test_a_long_poll_keeps_a_second_of_the_request_limit_and_of_the_budget():
    provider = AwsSsmProvider(dict(KEYS, request_timeout=10))
    assert provider.longest_long_poll() == 9.0
    provider.limit_requests_to(4.5)
    assert 3.0 < provider.longest_long_poll() <= 3.5
    provider.limit_requests_to(0.5)
    assert provider.longest_long_poll() == 0.0
