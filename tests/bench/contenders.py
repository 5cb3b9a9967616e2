"""The contenders: how each one is started, and what it reported per instance.

A contender is one process (with its children); the benchmark measures that whole process tree.
Each parser returns the moment the contender returned for the fleet, per-instance return moments
where the contender reports per instance, and the outcome it saw per (command, instance).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field

from fleet import ACCESS_KEY, ALIBABA_REGION, REGION, SECRET_KEY

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(ROOT, "build", "collections")

# Human names and the settings each one runs with (the doc repeats them).
DESCRIPTIONS = {
    "invocation_wait": "multicloud.invocations.invocation_wait, one task over every command, default settings",
    "invocation_wait_events": "the same invocation_wait task with `event_queue` set: a fresh SQS queue (moto_server) that fleetsim, "
                              "playing EventBridge, fills by the guide's two rules (a command's final status, an instance's failure); SQS calls counted apart",
    "boto3_waiter": "boto3 `command_executed` waiter per instance, 10 threads, documented defaults (5 s delay, 20 attempts)",
    "aws_cli_wait": "`aws ssm wait command-executed` per instance, 10 at a time (xargs -P 10), CLI defaults (5 s, 20 attempts)",
    "until_loop": "Ansible `until:` loop over `aws ssm get-command-invocation` per instance (delay 5, retries 60)",
    "ssm_counters": "the boto3 script a skilled SSM engineer writes: `ListCommands` counters every 2 s (invocation_wait's default "
                    "base interval), every `ListCommandInvocations` page (50) once at the end",
    "alibaba_aggregate": "the script a skilled Cloud Assistant engineer writes with Alibaba Cloud's Python SDK: each open "
                         "invocation's `DescribeInvocations` status every 2 s, every `DescribeInvocationResults` page (50) once "
                         "it ended",
    "zenlayer_pending": "the script a skilled Zenlayer engineer writes with Zenlayer's Python SDK: one "
                        "`DescribeCommandInvocations` row filtered to Pending and Running every 2 s (its totalCount), "
                        "every invocation (100 a page, instances nested) once none is",
    "ansible_debug": "`ansible-playbook` running one `debug` task: Ansible's own cost, waiting on nothing",
    "ansible_idle": "`ansible-playbook` running one `pause` task of 20 s: Ansible's own cost while a task waits as long as "
                    "a 10,000-instance timeline",
}

# Each provider's competent peer (tests/bench/peers), and how invocation_wait names its runs.
PEERS = {"aws_ssm": "ssm_counters", "alibaba_ecs": "alibaba_aggregate", "zenlayer_zos": "zenlayer_pending"}
RUN_KEY = {"aws_ssm": "command_id", "alibaba_ecs": "invocation_id", "zenlayer_zos": "invocation_id"}
REGIONS = {"aws_ssm": REGION, "alibaba_ecs": ALIBABA_REGION}  # Zenlayer takes no region

# Contenders that wake on status events read from an SQS queue (the bench makes one per run).
EVENT_CONTENDERS = frozenset({"invocation_wait_events"})
# The guide's two EventBridge rules ("Waking on events"): a command's final status, and an instance's failure.
GUIDE_EVENT_PATTERNS = [
    {"detail-type": ["EC2 Command Status-change Notification"], "status": ["Success", "Failed", "TimedOut", "Cancelled"]},
    {"detail-type": ["EC2 Command Invocation Status-change Notification"], "status": ["Failed", "TimedOut", "Cancelled"]},
]

# Contenders that wait on nothing: measured for their cost only, never judged.
BASELINES = frozenset({"ansible_debug", "ansible_idle"})


@dataclass
class Reported:
    returned_at: float | None = None
    # (command id, instance id) -> moment that instance's result was known, where reported per instance.
    per_instance_at: dict[tuple[str, str], float] = field(default_factory=dict)
    # (command id, instance id) -> "success" | "failed" | "error"
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Poll rounds, for contenders that say (invocation_wait).
    polls: int | None = None
    # What invocation_wait read from its event queue (its result's `events`), with event_queue only.
    events: dict | None = None


def base_env(tools: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        # The Alibaba and Zenlayer peers read their keys from here (never from the command line).
        ALIBABA_CLOUD_ACCESS_KEY_ID=ACCESS_KEY,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=SECRET_KEY,
        ZENLAYER_ACCESS_KEY_ID=ACCESS_KEY,
        ZENLAYER_ACCESS_KEY_PASSWORD=SECRET_KEY,
        PATH=os.pathsep.join(p for p in (tools.get("awscli_bin"), os.path.dirname(sys.executable), env.get("PATH", "")) if p),
    )
    return env


def ansible_env(env: dict[str, str], result_path: str, per_item_moments: bool = False) -> dict[str, str]:
    env = dict(env)
    if per_item_moments:
        # Only the `until:` loop: the moment each loop item returned can only be seen inside the
        # process, so its per-instance lags come from a callback (charged to the loop's own CPU).
        env.update(ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="bench_timing")
    env.update(
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        BENCH_RESULT=result_path,
    )
    return env


def command_line(name: str, url: str, targets: dict[str, list[str]], scratch: str, tools: dict[str, str],  # pylint: disable=too-many-arguments
                 provider: str = "aws_ssm", event_queue: tuple[str, str] | None = None) -> tuple[list[str], dict[str, str], str]:
    """(argv, environment, result file) for one contender; event_queue is (queue URL, SQS endpoint) for the events contender."""
    env = base_env(tools)
    result = os.path.join(scratch, f"{name.replace('/', '-')}.result")
    playbook = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
                "-e", f"ansible_python_interpreter={sys.executable}"]
    if name.startswith("invocation_wait"):
        extra = {"bench_url": url, "bench_command_ids": list(targets), "bench_provider": provider, "bench_run_key": RUN_KEY[provider]}
        if provider in REGIONS:
            extra["bench_region"] = REGIONS[provider]
        if "@" in name:
            # invocation_wait@INTERVAL/MAX_INTERVAL: a pacer-tuning run.
            extra["bench_interval"], extra["bench_max_interval"] = (float(v) for v in name.split("@", 1)[1].split("/"))
        if name in EVENT_CONTENDERS:
            if event_queue is None:
                raise ValueError(f"{name} needs an event queue")
            extra["bench_event_queue"], extra["bench_event_endpoint"] = event_queue
        return playbook + ["-e", json.dumps(extra), os.path.join(HERE, "playbooks", "invocation_wait.yml")], ansible_env(env, result), result
    if name == "until_loop":
        ((command_id, instance_ids),) = targets.items()
        extra = {"bench_url": url, "bench_command_id": command_id, "bench_instance_ids": instance_ids}
        return playbook + ["-e", json.dumps(extra), os.path.join(HERE, "playbooks", "until_loop.yml")], ansible_env(env, result, True), result
    if name in ("boto3_waiter", *PEERS.values()):
        targets_path = os.path.join(scratch, "targets.json")
        with open(targets_path, "w", encoding="utf-8") as handle:
            json.dump(targets, handle)
        return [sys.executable, os.path.join(HERE, "peers", f"{name}.py"), url, targets_path, result], env, result
    if name in BASELINES:
        return playbook + [os.path.join(HERE, "playbooks", f"{name}.yml")], ansible_env(env, result), result
    if name == "aws_cli_wait":
        pairs = os.path.join(scratch, "pairs.txt")
        with open(pairs, "w", encoding="utf-8") as handle:
            handle.writelines(f"{command_id} {instance_id}\n" for command_id, ids in targets.items() for instance_id in ids)
        return ["bash", os.path.join(HERE, "peers", "cli_wait.sh"), url, pairs, result], env, result
    raise ValueError(f"unknown contender {name}")


def _lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [line for line in handle if line.strip()]


def _printed_report(log_path: str) -> dict | None:
    """The object the invocation_wait playbook's last task printed (the default callback's `=> {...}`)."""
    try:
        with open(log_path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    start = text.find("TASK [Report what the wait saw]")
    start = text.find("=> ", start) if start >= 0 else -1
    if start < 0:
        return None
    try:
        printed, _end = json.JSONDecoder().raw_decode(text, start + 3)
    except ValueError:
        return None
    return printed.get("msg") if isinstance(printed, dict) else None


def _records_file(path: str) -> list[dict]:
    """The records invocation_wait wrote to its records file (which is removed once read)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    finally:
        if os.path.exists(path):
            os.unlink(path)


def parse(name: str, result_path: str, targets: dict[str, list[str]], log_path: str = "") -> Reported:
    reported = Reported()
    if name.startswith("invocation_wait"):
        result = _printed_report(log_path)
        if result is None:
            reported.notes.append("the playbook printed no report")
        else:
            reported.polls = result.get("polls")
            # Ansible 2.17 renders an omitted `events` as the string "None": only a dict is a reading.
            reported.events = result["events"] if isinstance(result.get("events"), dict) else None
            for command_id, instance_id, status in result.get("outcomes") or []:
                reported.outcomes[(command_id, instance_id)] = "success" if status == "success" else "failed"
            if result.get("records_file"):
                # Every record, the ones the result left out included (read outside the measured process).
                for record in _records_file(result["records_file"]):
                    run_id = record.get("invocation_id") or record.get("command_id")
                    reported.outcomes[(run_id, record["instance_id"])] = "success" if record["status"] == "success" else "failed"
            if result.get("failed"):
                reported.notes.append(f"task failed: {str(result.get('msg'))[:200]}")
            reported.notes.append(f"verdict {result.get('verdict')}, ended {result.get('ended_because')}, "
                                  f"{result.get('polls')} polls, {result.get('throttled_polls')} throttled")
            if reported.events:
                events = reported.events
                reported.notes.append(f"events: {events.get('received')} received, {events.get('ours')} ours, "
                                      f"{events.get('woke_rounds')} woke a round, {events.get('sqs_calls')} SQS calls"
                                      + (f", queue unreadable: {events['unreadable']}" if events.get("unreadable") else ""))
            elif name in EVENT_CONTENDERS:
                reported.notes.append("the wait reported no events reading")
    elif name == "until_loop":
        ((command_id, _ids),) = targets.items()
        for line in _lines(result_path):
            record = json.loads(line)
            result = record["result"]
            if record["kind"] == "item":
                key = (command_id, result["item"])
                reported.per_instance_at[key] = record["returned_at"]
                status = (result.get("stdout") or "").strip()
                reported.outcomes[key] = "success" if status == "Success" else ("failed" if status in ("Failed", "Cancelled", "TimedOut") else "error")
            else:
                reported.returned_at = record["returned_at"]
    elif name == "boto3_waiter":
        for line in _lines(result_path):
            record = json.loads(line)
            key = (record["command_id"], record["instance_id"])
            reported.per_instance_at[key] = record["returned_at"]
            reported.outcomes[key] = record["outcome"]
            if record["outcome"] == "error" and len(reported.notes) < 3:
                reported.notes.append(f"{record['instance_id']}: {record['detail'][:160]}")
    elif name in PEERS.values():
        # They return once for the whole fleet: no per-instance moments (the launcher notes the return).
        for line in _lines(result_path):
            record = json.loads(line)
            reported.returned_at = record.get("returned_at")
            reported.outcomes[(record["command_id"], record["instance_id"])] = record["outcome"]
    elif name == "aws_cli_wait":
        for line in _lines(result_path):
            command_id, instance_id, code, at = line.split()
            key = (command_id, instance_id)
            reported.per_instance_at[key] = float(at)
            # 255 is both "failure state" and "gave up": the CLI cannot tell them apart.
            reported.outcomes[key] = {"0": "success", "255": "failed"}.get(code, "error")
    if reported.per_instance_at and reported.returned_at is None:
        reported.returned_at = max(reported.per_instance_at.values())
    return reported
