# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the module tests: a stubbed SSM client behind every provider, and SSM payloads."""

from __future__ import annotations

import datetime
import functools
import tempfile

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.multicloud.invocations.plugins.module_utils import _wait_task
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider

CID = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
I1 = "i-0123456789abcdef0"
I2 = "i-0fedcba9876543210"
REQUESTED = datetime.datetime(2026, 11, 22, 13, 7, 9, 708000, tzinfo=datetime.timezone.utc)


class Payloads:
    """SSM responses as boto3 returns them (only fields the botocore model accepts)."""

    cid = CID
    i1 = I1
    i2 = I2

    @staticmethod
    def invocation(instance_id, status="Success", details=None, code=0, output="ok\n", command_id=CID):
        return {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "InstanceName": "",
            "DocumentName": "AWS-RunShellScript",
            "RequestedDateTime": REQUESTED,
            "Status": status,
            "StatusDetails": details or status,
            "CommandPlugins": [
                {
                    "Name": "aws:runShellScript",
                    "Status": status,
                    "StatusDetails": details or status,
                    "ResponseCode": code,
                    "Output": output,
                    "ResponseStartDateTime": REQUESTED,
                }
            ],
        }

    @staticmethod
    def command(status="InProgress", target_count=2, instance_ids=(I1, I2), command_id=CID, timeout_seconds=600, execution_timeout="900"):
        return {
            "CommandId": command_id,
            "DocumentName": "AWS-RunShellScript",
            "Parameters": {"commands": ["uptime"], "executionTimeout": [execution_timeout]},
            "InstanceIds": list(instance_ids),
            "RequestedDateTime": REQUESTED,
            "Status": status,
            "StatusDetails": status,
            "TargetCount": target_count,
            "CompletedCount": 0,
            "ErrorCount": 0,
            "DeliveryTimedOutCount": 0,
            "TimeoutSeconds": timeout_seconds,
            "MaxConcurrency": "50",
            "MaxErrors": "0",
        }

    @staticmethod
    def list_params(command_id=CID):
        return {"CommandId": command_id, "Details": True, "MaxResults": 50}


@pytest.fixture
def ssm():
    return Payloads


@pytest.fixture
def stubber(monkeypatch):
    """A Stubber whose client every AwsSsmProvider uses; no response may be left over."""
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake/secret/key")
    stub = Stubber(client)
    monkeypatch.setattr(AwsSsmProvider, "client", lambda self: client)
    with stub:
        yield stub
        stub.assert_no_pending_responses()


# The wall clock (seconds since the epoch) when a fake-clock test starts.
WALL_AT_START = 1_800_000_000.0


@pytest.fixture
def fake_waits(monkeypatch, fake_clock):
    """Modules call wait_and_judge without hooks: give its waiter the fake clock."""
    monkeypatch.setattr(_wait_task, "wait_for", functools.partial(_wait_task.wait_for, **fake_clock.hooks()))
    monkeypatch.setattr(_wait_task, "TASK_CLOCKS", dict(fake_clock.hooks(), wall=lambda: WALL_AT_START + fake_clock.elapsed))
    return fake_clock


@pytest.fixture(autouse=True)
def records_files_in_the_test_directory(monkeypatch, tmp_path):
    """A failed task without output_dir writes its records file to the temporary directory: the test's own."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path
