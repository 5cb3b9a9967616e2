"""The peer a skilled SSM engineer writes: the command's counters each round, every page once at the end.

Each round reads ListCommands for the open commands (one call per command: the API filters one
command id at a time) and looks at TargetCount against CompletedCount (CompletedCount counts every
target that reached a final state, failures included). The per-instance pages
(ListCommandInvocations, 50 a page, the API's maximum) are read once, when the counters say every
target ended. The interval is fixed at invocation_wait's default base interval (2 s); retries are
botocore's defaults. Writes one JSON line per instance with its outcome and the moment the peer
returned for the whole fleet.

Usage: python ssm_counters.py ENDPOINT TARGETS_JSON OUT_JSONL
"""

from __future__ import annotations

import json
import sys
import time

import boto3

INTERVAL = 2.0
PAGE = 50


def settled(client, command_id: str) -> bool:
    command = client.list_commands(CommandId=command_id)["Commands"][0]
    return command["TargetCount"] > 0 and command["CompletedCount"] >= command["TargetCount"]


def outcomes(client, command_id: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for page in client.get_paginator("list_command_invocations").paginate(CommandId=command_id, PaginationConfig={"PageSize": PAGE}):
        for item in page["CommandInvocations"]:
            found[item["InstanceId"]] = "success" if item["Status"] == "Success" else "failed"
    return found


def main(endpoint: str, targets_path: str, out_path: str) -> int:
    with open(targets_path, encoding="utf-8") as handle:
        open_commands = list(json.load(handle))
    client = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
    results: dict[str, dict[str, str]] = {}
    while open_commands:
        for command_id in list(open_commands):
            if settled(client, command_id):
                results[command_id] = outcomes(client, command_id)
                open_commands.remove(command_id)
        if open_commands:
            time.sleep(INTERVAL)
    returned_at = time.time()
    with open(out_path, "w", encoding="utf-8") as out:
        for command_id, by_instance in results.items():
            for instance_id, outcome in by_instance.items():
                out.write(json.dumps({"command_id": command_id, "instance_id": instance_id, "outcome": outcome, "returned_at": returned_at}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
