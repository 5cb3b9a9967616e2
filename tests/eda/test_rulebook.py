# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-rulebook runs the example rulebook with the collection's event source (`make eda`).

fleetsim plays the SSM API (real invocations that fail, time out and succeed), moto_server plays
SQS; the test puts EventBridge events in their documented shape in the rulebook's queue (with a
duplicate, a late out-of-order event and one the API contradicts), runs ansible-rulebook until the
source has drained the queue, and reads the report file the rulebook's playbook wrote.
Runs in .venvs/eda (ansible-rulebook, its Java runtime, ansible-core, boto3, moto, fleetsim).
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import boto3
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULEBOOK = ROOT / "extensions" / "eda" / "rulebooks" / "invocation_failures.yml"
GUIDE = "docs/docsite/rst/event_driven_ansible.rst"
REGION = "us-east-1"
ACCOUNT = "123456789012"
ACCESS_KEY = os.environ.get("FLEETSIM_ACCESS_KEY", "AKIAFLEETSIM00000001")
SECRET_KEY = os.environ.get("FLEETSIM_SECRET_KEY", "fleetsim-secret-key-0000000000000000000000")
FLEET = {
    "instances": [
        {"name": "eda-failing", "tags": {"role": "eda"}},
        {"name": "eda-slow", "tags": {"role": "eda"}},
        {"name": "eda-healthy", "tags": {"role": "eda"}},
    ]
}
UNKNOWN_COMMAND = "00000000-1111-2222-3333-444444444444"
# How long the setup may wait for a server to listen or fleetsim's invocations to end (setup, not an assertion).
SETUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, ready) -> None:
    deadline = time.monotonic() + SETUP_SECONDS
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {SETUP_SECONDS} s")
        time.sleep(0.1)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """fleetsim (the SSM API) and moto_server (SQS), both on loopback; their URLs."""
    scratch = tmp_path_factory.mktemp("servers")
    (scratch / "fleet.json").write_text(json.dumps(FLEET))
    url_file = scratch / "fleetsim-url"
    fleetsim = subprocess.Popen(
        ["fleetsim", "serve", "--host", "127.0.0.1", "--port", "0", "--fleet", str(scratch / "fleet.json"), "--url-file", str(url_file)],
        stdout=subprocess.DEVNULL, stderr=open(scratch / "fleetsim.log", "wb"),  # pylint: disable=consider-using-with
    )
    moto_port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=open(scratch / "moto.log", "wb"))  # pylint: disable=consider-using-with
    try:
        wait_until("fleetsim reports its URL", lambda: url_file.exists() and url_file.read_text())
        wait_until("moto_server listens", lambda: listening(moto_port))
        yield {"ssm": url_file.read_text().strip(), "sqs": f"http://127.0.0.1:{moto_port}"}
    finally:
        for process in (fleetsim, moto):
            process.terminate()
            process.wait(timeout=30)


def client(service: str, url: str):
    return boto3.client(service, region_name=REGION, endpoint_url=url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def instance_ids(ssm_url: str) -> dict[str, str]:
    """Instance id by name, from fleetsim's control endpoint."""
    with urllib.request.urlopen(f"{ssm_url}/_fleetsim/instances", timeout=10) as answer:
        return {instance["name"]: instance["id"] for instance in json.load(answer)["instances"]}


def run_to_end(ssm, instance_id: str, commands: list[str], timeout: int = 30) -> dict:
    """Send a shell command to one instance and wait until fleetsim says it ended; its invocation."""
    command_id = ssm.send_command(
        InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
        Parameters={"commands": commands, "executionTimeout": [str(timeout)]},
    )["Command"]["CommandId"]
    answer = {}

    def ended() -> bool:
        nonlocal answer
        try:
            answer = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ssm.exceptions.InvocationDoesNotExist:
            return False
        return answer["Status"] not in ("Pending", "InProgress", "Delayed")

    wait_until(f"command {command_id} ends on {instance_id}", ended)
    return answer


def status_event(invocation: dict, status: str, event_id: str | None = None) -> str:
    """An "EC2 Command Invocation Status-change Notification" as EventBridge puts it in an SQS message
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html)."""
    return json.dumps({
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": "EC2 Command Invocation Status-change Notification",
        "source": "aws.ssm",
        "account": ACCOUNT,
        "time": "2026-12-03T21:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{invocation['InstanceId']}"],
        "detail": {
            "command-id": invocation["CommandId"],
            "document-name": "AWS-RunShellScript",
            "instance-id": invocation["InstanceId"],
            "requested-date-time": "2026-12-03T20:59:58.000Z",
            "status": status,
        },
    })


def installed_collection(tmp_path: pathlib.Path) -> pathlib.Path:
    """A collections path holding this working tree as multicloud.invocations (as `make demo` links it)."""
    link = tmp_path / "collections" / "ansible_collections" / "multicloud" / "invocations"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return tmp_path / "collections"


def ansible_core(version: str) -> tuple[str, str]:
    """(bin directory, Python) of the ansible-core that finds the collection and runs the playbook.

    2.19: this venv's own. 2.17: the oldest venv of `make test` (EDA_OLDEST_VENV, with the lowest
    libraries of requirements.txt); ansible-rulebook and the source stay in this venv's Python.
    """
    if version == "2.19":
        return os.path.dirname(sys.executable), sys.executable
    venv = os.environ.get("EDA_OLDEST_VENV")
    if not venv:
        pytest.skip("EDA_OLDEST_VENV is not set (make eda sets it to .venvs/ansible-core-2.17)")
    return os.path.join(venv, "bin"), os.path.join(venv, "bin", "python")


@pytest.mark.parametrize("core", ["2.19", "2.17"])
def test_example_rulebook_reports_each_confirmed_failure_once(servers, tmp_path, core):
    core_bin, core_python = ansible_core(core)
    ssm = client("ssm", servers["ssm"])
    ids = instance_ids(servers["ssm"])
    failed = run_to_end(ssm, ids["eda-failing"], ["echo 'disk full' >&2", "exit 3"])
    timed_out = run_to_end(ssm, ids["eda-slow"], ["sleep 30"], timeout=1)
    succeeded = run_to_end(ssm, ids["eda-healthy"], ["echo ok"])
    assert (failed["Status"], timed_out["Status"], succeeded["Status"]) == ("Failed", "TimedOut", "Success")

    sqs = client("sqs", servers["sqs"])
    queue_url = sqs.create_queue(QueueName=f"eda-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    bodies = [
        status_event(failed, "InProgress"),
        status_event(failed, "Failed", event_id="failed-once"),
        # SQS delivers at least once and EventBridge retries with the same id: one reaction.
        status_event(failed, "Failed", event_id="failed-once"),
        status_event(timed_out, "TimedOut"),
        # Out of order: the start of a run the API already knows ended; stale, dropped.
        status_event(timed_out, "InProgress"),
        # The API says this invocation succeeded: an event claiming it failed is dropped.
        status_event(succeeded, "Failed"),
        status_event(succeeded, "Success"),
        # A command the API does not know: yielded unconfirmed, with the API's error (the second rule).
        status_event(dict(failed, CommandId=UNKNOWN_COMMAND), "Failed"),
        json.dumps({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}),
        "not an event at all",
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    report = tmp_path / "failures.txt"
    (tmp_path / "vars.yml").write_text(yaml.safe_dump({
        "queue_url": queue_url, "region": REGION, "failure_report": str(report),
        # Drain the queue and stop: the last, empty receive ends the run (1 s instead of 20).
        "stop_when_empty": True, "wait_seconds": 1,
    }))
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({
        "all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": core_python}}},
    }))
    env = dict(
        os.environ,
        PATH=os.pathsep.join((core_bin, os.environ["PATH"])),
        ANSIBLE_COLLECTIONS_PATH=str(installed_collection(tmp_path)),
        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION=REGION,
        # The source's two endpoints (botocore's service-specific variables) and the playbook's
        # invocation_info endpoint (the collection's AWS_URL).
        AWS_ENDPOINT_URL_SQS=servers["sqs"], AWS_ENDPOINT_URL_SSM=servers["ssm"], AWS_URL=servers["ssm"],
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), HOME=str(tmp_path),
    )
    rulebook = subprocess.run(
        # By its name in the installed collection, as the guide runs it.
        [os.path.join(os.path.dirname(sys.executable), "ansible-rulebook"), "--rulebook", "multicloud.invocations.invocation_failures",
         "--inventory", str(tmp_path / "inventory.yml"), "--vars", str(tmp_path / "vars.yml"), "--print-events", "-v"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    output = rulebook.stdout + rulebook.stderr
    assert rulebook.returncode == 0, output
    # ansible-runner runs the ansible-playbook it finds on PATH (and ansible-rulebook's ansible-galaxy).
    assert f"core {core}." in subprocess.run(["ansible-playbook", "--version"], env=env, capture_output=True, text=True, check=True).stdout
    assert SECRET_KEY not in output

    lines = report.read_text().splitlines() if report.exists() else []
    reported = sorted((line.split()[0], line.split()[2], line.split()[3]) for line in lines)
    assert reported == sorted([
        (ids["eda-failing"], "failed", "exit=3"),
        (ids["eda-slow"], "timed_out", "exit=none"),
    ]), output
    assert any('stderr="disk full"' in line for line in lines), lines
    assert f"Not confirmed: {UNKNOWN_COMMAND} on {ids['eda-failing']} is Failed by its event; the API read failed with InvalidCommandId" \
        in " ".join(output.split()), output
    # The source deleted every message it read, its own or not.
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")


def test_the_guide_shows_the_rulebook_this_test_runs():
    """The guide's rulebook block is the file (comments aside), so the page shows what runs here."""
    sys.path.insert(0, str(ROOT / "tests" / "examples"))
    try:
        import extract  # pylint: disable=import-outside-toplevel,import-error
    finally:
        sys.path.pop(0)
    shown = [example for example in extract.all_examples(str(ROOT)) if example.id == f"{GUIDE}#the-rulebook"]
    assert len(shown) == 1, f"{GUIDE} has no rulebook block under 'The rulebook'"
    assert yaml.safe_load(shown[0].text) == yaml.safe_load(RULEBOOK.read_text())
