# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every SSM request bounded in total (issue 15): an answer trickled a byte at a time, a request held
without an answer, against a small local endpoint; what botocore's session honours is kept."""

from __future__ import annotations

import http.server
import json
import threading
import time
from unittest import mock

import botocore.exceptions
import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._deadline import BudgetSpent
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvocationError, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_transport import BoundedSender

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
I1 = "i-0123456789abcdef0"
# A ListCommands answer (its wire form: times in epoch seconds).
COMMANDS = json.dumps({"Commands": [{
    "CommandId": CID, "Status": "Success", "StatusDetails": "Success", "DocumentName": "AWS-RunShellScript",
    "TargetCount": 1, "CompletedCount": 1, "ErrorCount": 0, "RequestedDateTime": 1767225600.0, "InstanceIds": [I1],
    "Comment": "a comment long enough that the answer takes a while to trickle in",
}]}).encode()
# The pause between two bytes of a trickled answer: the whole answer takes about 20 s, and no
# single pause comes near botocore's read timeout.
TRICKLE_PAUSE = 0.05


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """Answers COMMANDS as the server's ``mode`` says: at once, a byte at a time, or after a hold."""

    protocol_version = "HTTP/1.1"  # keep-alive, as SSM

    def do_POST(self):  # pylint: disable=invalid-name  # http.server naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        server.seen.append({"target": self.headers.get("X-Amz-Target"), "path": self.path, "port": self.client_address[1]})
        if server.mode == "hold":
            server.release.wait(30)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(COMMANDS)))
            self.end_headers()
            if server.mode == "trickle":
                for index in range(len(COMMANDS)):
                    self.wfile.write(COMMANDS[index:index + 1])
                    self.wfile.flush()
                    time.sleep(TRICKLE_PAUSE)
            else:
                self.wfile.write(COMMANDS)
            server.answered += 1
        except OSError:
            self.close_connection = True  # the client gave up

    def log_message(self, *args):  # pylint: disable=arguments-differ
        """Quiet."""


@pytest.fixture
def endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    server.daemon_threads = True
    server.mode, server.seen, server.answered, server.release = "answer", [], 0, threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def provider_for(url, **options):
    return AwsSsmProvider(dict({"region": "us-east-1", "endpoint_url": url, "access_key": "AKIAFAKEFAKEFAKEFAKE",
                                "secret_key": "fake/secret/key"}, **options))


def test_a_trickled_answer_is_cut_off_at_request_timeout(endpoint):
    # The old code read it to the end (about 20 s): each byte came well within the read timeout.
    endpoint.mode = "trickle"
    provider = provider_for(endpoint.url, request_timeout=1, aws_config={"retries": {"total_max_attempts": 1}})
    with pytest.raises(ProviderError) as caught:
        provider.get_command(CID)
    assert caught.value.retryable
    assert caught.value.message.startswith(f"the SSM endpoint {endpoint.url}/ did not finish its answer within 1.0s (request_timeout")
    assert len(endpoint.seen) == 1 and endpoint.answered == 0


def test_a_trickled_answer_is_cut_off_at_what_is_left_of_the_budget(endpoint):
    endpoint.mode = "trickle"
    provider = provider_for(endpoint.url)  # request_timeout 30 s by default
    # The client is built before the budget starts: on a loaded machine building it alone can take
    # more than the second a request needs, and the test is about the answer, not the start.
    provider.client()
    provider.limit_requests_to(3)
    with pytest.raises(BudgetSpent) as caught:
        provider.get_command(CID)
    # It failed, and no time was left to ask again: botocore's retry was refused.
    assert caught.value.after_failure
    assert "did not finish its answer within" in caught.value.message
    assert len(endpoint.seen) == 1 and endpoint.answered == 0


def test_a_request_held_without_an_answer_ends_at_the_budget(endpoint):
    # botocore's read timeout (request_timeout, 30 s) is longer than the hold (30 s at most here):
    # the old code waited for the answer.
    endpoint.mode = "hold"
    provider = provider_for(endpoint.url)
    provider.client()  # built outside the budget, as above
    provider.limit_requests_to(3)
    with pytest.raises(BudgetSpent, match="did not finish its answer within"):
        provider.get_command(CID)
    assert len(endpoint.seen) == 1 and endpoint.answered == 0


def test_reads_are_retried_as_botocore_says_and_a_start_is_sent_once(endpoint):
    endpoint.mode = "trickle"
    provider = provider_for(endpoint.url, request_timeout=1, aws_config={"retries": {"total_max_attempts": 3}})
    with pytest.raises(ProviderError, match="did not finish its answer"):
        provider.get_command(CID)
    assert [seen["target"] for seen in endpoint.seen] == ["AmazonSSM.ListCommands"] * 3
    endpoint.seen.clear()
    with pytest.raises(InvocationError):
        provider.send_command({"DocumentName": "AWS-RunShellScript", "InstanceIds": [I1], "Parameters": {"commands": ["true"]},
                               "Comment": "mci-0123456789abcdef"})
    assert [seen["target"] for seen in endpoint.seen].count("AmazonSSM.SendCommand") == 1


def test_an_answer_reset_halfway_is_what_botocore_itself_raises():
    # botocore's session turns a connection lost while it reads an answer into ConnectionClosedError
    # (transient, retried for reads); the answer read here must not end in a raw socket error.
    raw = mock.Mock(spec=["_fp", "close"])
    raw._fp = mock.Mock(spec=["read1"])  # pylint: disable=protected-access
    raw._fp.read1.side_effect = [b'{"Commands": [', ConnectionResetError(104, "Connection reset by peer")]  # pylint: disable=protected-access
    session = mock.Mock()
    session.send.return_value = mock.Mock(raw=raw, status_code=200, headers={}, url="https://ssm.us-east-1.amazonaws.com/")
    sender = BoundedSender(session, lambda: 5.0)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        sender(request=mock.Mock(url="https://ssm.us-east-1.amazonaws.com/"))
    raw.close.assert_not_called()  # only an answer cut off at its deadline is dropped here


def test_no_request_is_sent_with_too_little_of_the_budget_left(endpoint):
    provider = provider_for(endpoint.url)
    provider.limit_requests_to(0.5)
    with pytest.raises(BudgetSpent) as caught:
        provider.get_command(CID)
    assert not caught.value.after_failure and endpoint.seen == []


def test_the_answer_is_read_whole_and_the_connection_kept(endpoint):
    provider = provider_for(endpoint.url)
    answers = [provider.get_command(CID), provider.get_command(CID), provider.get_command(CID)]
    assert [answer["CommandId"] for answer in answers] == [CID] * 3
    assert len(endpoint.seen) == 3 and len({seen["port"] for seen in endpoint.seen}) == 1


def test_the_proxy_in_aws_config_carries_the_requests(endpoint):
    # An HTTP proxy gets the whole URL in the request line; the endpoint's name need not resolve.
    provider = provider_for("http://ssm.endpoint.invalid", allow_plain_http=True, aws_config={"proxies": {"http": endpoint.url}})
    assert provider.get_command(CID)["CommandId"] == CID
    assert endpoint.seen[0]["path"].startswith("http://ssm.endpoint.invalid")


def test_a_client_without_a_session_is_left_to_botocore():
    client = mock.Mock(spec=["meta"])
    assert BoundedSender.install(client, lambda: 1.0) is False
    client.meta.events.register.assert_not_called()


def test_the_request_timer_is_asked_before_anything_is_sent():
    session = mock.Mock()
    sender = BoundedSender(session, mock.Mock(side_effect=BudgetSpent(0.2, "aws_ssm")))
    with pytest.raises(BudgetSpent):
        sender(request=mock.Mock(url="https://ssm.us-east-1.amazonaws.com/"))
    session.send.assert_not_called()
