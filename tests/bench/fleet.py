"""fleetsim for one benchmark run: start it, shape the fleet, send the commands, read the truth.

Every (scenario, contender) pair gets a fresh fleetsim with the same seed, so each contender waits
on the same instance ids with the same durations and the same failures, and the request counters
count that contender only.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

ACCESS_KEY = "AKIAFLEETSIM00000001"
SECRET_KEY = "fleetsim-secret-key-0000000000000000000000"
REGION = "us-east-1"
ALIBABA_REGION = "cn-hangzhou"
# Zenlayer's InvokeCommand takes at most 200 instance ids (its API reference), so a fleet is one
# invocation per 200 instances. Alibaba's RunCommand reaches 1-100 instances by default, by ids or
# by tag, a quota that can be raised: the bench models it raised, one invocation by tag
# (ResourceTag) over the whole fleet, as SSM's tag-targeted command.
ZENLAYER_PER_INVOCATION = 200
SEED = 7
# Real processes up to this many instances, virtual outcomes above (fleetsim keeps a virtual instance as a
# scheduled outcome, not a process: thousands of processes would measure this machine, not the waits).
REAL_MODE_MAX = 100


@dataclass
class Scenario:
    name: str
    instances: int
    provider: str = "aws_ssm"
    commands: int = 1
    per_command: int = 0  # 0: one command over the whole fleet (by tag)
    rate_limit: float = 0.0
    contenders: tuple[str, ...] = ()
    durations: tuple[float, float] = (2.0, 20.0)
    # Real mode: every FAIL_EVERY-th instance (from the third) exits 1; virtual: this failure rate.
    failure_rate: float = 0.03
    title: str = ""
    # Runs of each contender when --repeat is not given; 0: the bench's default (3, quick 1).
    repeat: int = 0

    @property
    def mode(self) -> str:
        return "real" if self.instances <= REAL_MODE_MAX else "virtual"

    @property
    def waited(self) -> int:
        return self.per_command * self.commands if self.per_command else self.instances


@dataclass
class Fleet:
    """One running fleetsim and the commands sent to it."""

    url: str
    process: subprocess.Popen
    scratch: str
    # Run id (SSM CommandId, Alibaba InvokeId, Zenlayer invocationId) -> the vendor's instance ids.
    command_targets: dict[str, list[str]] = field(default_factory=dict)
    # fleetsim's own instance id -> the id this scenario's vendor shows (its timeline uses the former).
    vendor_ids: dict[str, str] = field(default_factory=dict)

    def control(self, name: str, payload: dict | None = None) -> dict:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.url}/_fleetsim/{name}", data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _fleet_file(scenario: Scenario, path: str) -> None:
    low, high = scenario.durations
    group = {"count": scenario.instances, "name_prefix": "bench-", "tags": {"bench": "yes"},
             "virtual": {"duration": [low, high], "exit_code": 0, "stdout": "done", "failure_rate": scenario.failure_rate}}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"instances": [group]}, handle)


def start(scenario: Scenario, fleetsim: str) -> Fleet:
    scratch = tempfile.mkdtemp(prefix="bench-fleetsim-")
    fleet_path = os.path.join(scratch, "fleet.json")
    _fleet_file(scenario, fleet_path)
    url_file = os.path.join(scratch, "url")
    command = [fleetsim, "serve", "--host", "127.0.0.1", "--port", "0", "--fleet", fleet_path, "--mode", scenario.mode,
               "--seed", str(SEED), "--url-file", url_file, "--log-file", os.devnull, "--workdir", os.path.join(scratch, "work")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # pylint: disable=consider-using-with
    deadline = time.monotonic() + 60
    while not os.path.exists(url_file):
        if process.poll() is not None:
            raise RuntimeError(f"fleetsim did not start: {process.stderr.read().decode(errors='replace')}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("fleetsim did not report its URL within 60 seconds")
        time.sleep(0.05)
    with open(url_file, encoding="utf-8") as handle:
        fleet = Fleet(handle.read().strip(), process, scratch)
    if scenario.rate_limit:
        fleet.control("config", {"rate_limit": scenario.rate_limit})
    return fleet


def client(url: str):
    # The harness's own calls (SendCommand) must not fail on the rate limit: retry them patiently.
    return boto3.client("ssm", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=Config(retries={"mode": "standard", "total_max_attempts": 20}))


def real_mode_script(scenario: Scenario, instance_ids: list[str]) -> list[str]:
    """One shell script for every instance: its own sleep (durations spread) and a few failures."""
    rng = random.Random(SEED)
    low, high = scenario.durations
    lines = ['case "$FLEETSIM_INSTANCE_ID" in']
    for index, instance_id in enumerate(instance_ids):
        code = 1 if index % 17 == 3 else 0
        lines.append(f"  {instance_id}) sleep {rng.uniform(low, high):.2f}; echo done; exit {code};;")
    lines.append("esac")
    return lines


def send_commands(fleet: Fleet, scenario: Scenario) -> None:
    instances = fleet.control("instances")["instances"]
    id_field = {"aws_ssm": "id", "alibaba_ecs": "alibaba_id", "zenlayer_zos": "zenlayer_id"}[scenario.provider]
    fleet.vendor_ids = {item["id"]: item[id_field] for item in instances}
    if scenario.provider != "aws_ssm" and scenario.mode == "real":
        raise ValueError(f"{scenario.name}: only SSM scenarios script real processes; give it more than {REAL_MODE_MAX} instances")
    SENDERS[scenario.provider](fleet, scenario, [item[id_field] for item in instances])


def _send_ssm(fleet: Fleet, scenario: Scenario, instance_ids: list[str]) -> None:
    ssm = client(fleet.url)
    common = {"DocumentName": "AWS-RunShellScript", "MaxConcurrency": "100%", "MaxErrors": "100%", "TimeoutSeconds": 600}
    script = real_mode_script(scenario, instance_ids) if scenario.mode == "real" else ["echo done"]
    parameters = {"commands": script, "executionTimeout": ["120"]}
    if not scenario.per_command:
        sent = ssm.send_command(Targets=[{"Key": "tag-key", "Values": ["bench"]}], Parameters=parameters, **common)["Command"]
        fleet.command_targets[sent["CommandId"]] = instance_ids
        return
    for number in range(scenario.commands):
        chunk = instance_ids[number * scenario.per_command:(number + 1) * scenario.per_command]
        sent = ssm.send_command(InstanceIds=chunk, Parameters=parameters, **common)["Command"]
        fleet.command_targets[sent["CommandId"]] = chunk


def _send_alibaba(fleet: Fleet, _scenario: Scenario, instance_ids: list[str]) -> None:
    """RunCommand by tag over the fleet, with Alibaba's official SDK (virtual mode: the fleet file decides outcomes)."""
    # pylint: disable=import-outside-toplevel  # the SDKs are needed by these scenarios only
    from alibabacloud_ecs20140526 import client as ecs_client, models as ecs_models
    from alibabacloud_tea_openapi import models as openapi_models

    config = openapi_models.Config(endpoint=fleet.url.split("//", 1)[1], protocol="http", access_key_id=ACCESS_KEY,
                                   access_key_secret=SECRET_KEY, region_id=ALIBABA_REGION)
    tag = ecs_models.RunCommandRequestResourceTag(key="bench", value="yes")
    sent = ecs_client.Client(config).run_command(ecs_models.RunCommandRequest(
        region_id=ALIBABA_REGION, type="RunShellScript", command_content="echo done", resource_tag=[tag], timeout=600,
        name="bench")).body
    fleet.command_targets[sent.invoke_id] = instance_ids


def _send_zenlayer(fleet: Fleet, _scenario: Scenario, instance_ids: list[str]) -> None:
    """One command, invoked on the fleet 200 instances at a time, with Zenlayer's official SDK."""
    # pylint: disable=import-outside-toplevel  # the SDKs are needed by these scenarios only
    from zenlayercloud.common import config as zos_config, credential
    from zenlayercloud.zos.v20251010 import models as zos_models, zos_client

    client_ = zos_client.ZosClient(credential.Credential(ACCESS_KEY, SECRET_KEY),
                                   zos_config.Config(scheme="http", domain=fleet.url.split("//", 1)[1], request_timeout=60))
    create = zos_models.CreateCommandRequest()
    create.name, create.type, create.content = "bench", "SHELL", "echo done"
    command_id = client_.CreateCommand(create).commandId
    for start_at in range(0, len(instance_ids), ZENLAYER_PER_INVOCATION):
        chunk = instance_ids[start_at:start_at + ZENLAYER_PER_INVOCATION]
        invoke = zos_models.InvokeCommandRequest()
        invoke.commandId, invoke.instanceIds, invoke.timeout = command_id, chunk, 60  # its API allows 1-60 s
        fleet.command_targets[client_.InvokeCommand(invoke).invocationId] = chunk


SENDERS = {"aws_ssm": _send_ssm, "alibaba_ecs": _send_alibaba, "zenlayer_zos": _send_zenlayer}
