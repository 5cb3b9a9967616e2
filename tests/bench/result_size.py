"""How big a wait's result is where Ansible keeps it, and what a failed wait prints (issue 18).

Starts a fleetsim of N virtual SSM instances (each prints one line), sends one command by tag, and
waits on it with invocation_wait at its defaults, twice:

- through ansible-runner (as AWX and ansible-navigator run jobs): the characters of the task's
  result in its job event, measured as ansible-runner measures them against MAX_EVENT_RES
  (700,000 by default; a larger result becomes ``{}`` in the event, silently);
- through ansible-playbook with the default callback: the characters it prints.

Usage: ``make result-size`` (installs ansible-runner from tests/bench/requirements.txt and runs
1,000 instances, 1,000 with 3% failing and 10,000 with 3% failing), or one run:
  .venv/bin/python tests/bench/result_size.py --instances 1000 [--failure-rate 0.03] [--collections build/collections]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from fleet import Scenario, send_commands, start  # noqa: E402  (the bench's own fleet helpers)

# ansible-runner's default (display_callback/callback/awx_display.py): a larger result becomes {}.
DEFAULT_MAX_EVENT_RES = 700_000

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait
      multicloud.invocations.invocation_wait:
        command_ids: "{{ command_ids }}"
        endpoint_url: "{{ url }}"
        access_key: AKIAFLEETSIM00000001
        secret_key: fleetsim-secret-key-0000000000000000000000
        region: us-east-1
        timeout: 300
"""


def runner_result_size(playbook: str, extravars: dict, env: dict) -> dict:
    import ansible_runner  # pylint: disable=import-outside-toplevel  # a measurement-only dependency

    private = tempfile.mkdtemp(prefix="result-size-runner-")
    try:
        # The limit raised, to measure the result whole; whether the default would have emptied it is
        # its size against DEFAULT_MAX_EVENT_RES, the same test (len(str(res))) ansible-runner makes.
        run = ansible_runner.run(private_data_dir=private, playbook=playbook, extravars=extravars,
                                 envvars=dict(env, MAX_EVENT_RES=str(10 ** 10)), quiet=True)
        for event in run.events:
            if event.get("event") in ("runner_on_ok", "runner_on_failed") and event["event_data"].get("task") == "Wait":
                res = event["event_data"].get("res", {})
                if res.get("records_file") and os.path.exists(res["records_file"]):
                    os.unlink(res["records_file"])  # the measurement's own file: every record, whole
                return {"status": run.status, "event": event["event"], "res_chars": len(str(res)), "res_json_chars": len(json.dumps(res)),
                        "emptied_by_default": len(str(res)) > DEFAULT_MAX_EVENT_RES, "records": len(res.get("invocations", [])) if res else None,
                        "records_left_out": res.get("records_left_out") if res else None}
        return {"status": run.status, "event": None, "stdout": run.stdout.read()[-3000:]}
    finally:
        shutil.rmtree(private, ignore_errors=True)


def printed_size(playbook: str, extravars: dict, env: dict) -> int:
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, "-e", json.dumps(extravars)]
    done = subprocess.run(command, env=dict(os.environ, **env), capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        # The failed task's printed result names its records file: the measurement's own, removed.
        if '"records_file": "' in line:
            path = line.split('"records_file": "', 1)[1].split('"', 1)[0]
            if os.path.exists(path):
                os.unlink(path)
    return len(done.stdout) + len(done.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--collections", default=os.path.join(ROOT, "build", "collections"))
    parser.add_argument("--skip-print", action="store_true", help="measure through ansible-runner only")
    args = parser.parse_args()
    scenario = Scenario(f"size-{args.instances}", args.instances, durations=(1.0, 3.0), failure_rate=args.failure_rate)
    fleet = start(scenario, os.path.join(os.path.dirname(sys.executable), "fleetsim"))
    scratch = tempfile.mkdtemp(prefix="result-size-")
    try:
        send_commands(fleet, scenario)
        playbook = os.path.join(scratch, "wait.yml")
        with open(playbook, "w", encoding="utf-8") as handle:
            handle.write(PLAYBOOK)
        extravars = {"command_ids": list(fleet.command_targets), "url": fleet.url}
        env = {"ANSIBLE_COLLECTIONS_PATH": os.path.abspath(args.collections), "ANSIBLE_LOCALHOST_WARNING": "false",
               "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
        figures = {"instances": args.instances, "failure_rate": args.failure_rate, "runner": runner_result_size(playbook, extravars, env)}
        if not args.skip_print:
            figures["printed_chars"] = printed_size(playbook, extravars, env)
        print(json.dumps(figures))
    finally:
        fleet.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(fleet.scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
