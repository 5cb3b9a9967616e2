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
SEED = 7
# Real processes up to this many instances, virtual outcomes above (architecture.md, fleetsim inside).
REAL_MODE_MAX = 100


@dataclass
class Scenario:
    name: str
    instances: int
    commands: int = 1
    per_command: int = 0  # 0: one command over the whole fleet (by tag)
    rate_limit: float = 0.0
    contenders: tuple[str, ...] = ()
    durations: tuple[float, float] = (2.0, 20.0)
    # Real mode: every FAIL_EVERY-th instance (from the third) exits 1; virtual: this failure rate.
    failure_rate: float = 0.03
    title: str = ""

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
    command_targets: dict[str, list[str]] = field(default_factory=dict)

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
    ssm = client(fleet.url)
    instance_ids = [item["id"] for item in fleet.control("instances")["instances"]]
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
