"""The peer a script author writes: boto3's command_executed waiter, one per instance, 10 threads.

Settings are the documented defaults (botocore's CommandExecuted waiter: GetCommandInvocation every
5 s, 20 attempts; the client's default retry mode and connection pool of 10). A WaiterError for a
failure state is that instance's verdict, not a crash. Writes one JSON line per instance with the
moment its waiter returned, so the benchmark can measure detection lag per instance.

Usage: python boto3_waiter.py ENDPOINT TARGETS_JSON OUT_JSONL
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time

import boto3
from botocore.exceptions import WaiterError

THREADS = 10


def wait_one(client, command_id: str, instance_id: str) -> dict:
    outcome, detail = "success", ""
    try:
        client.get_waiter("command_executed").wait(CommandId=command_id, InstanceId=instance_id)
    except WaiterError as error:
        reason = str(error)
        # "terminal failure state" is the invocation's own verdict; anything else is the waiter giving up.
        outcome = "failed" if "terminal failure state" in reason else "error"
        detail = reason
    except Exception as error:  # pylint: disable=broad-except  # a script author's waiter dies here
        outcome, detail = "error", f"{error.__class__.__name__}: {error}"
    return {"command_id": command_id, "instance_id": instance_id, "returned_at": time.time(), "outcome": outcome, "detail": detail[:300]}


def main(endpoint: str, targets_path: str, out_path: str) -> int:
    with open(targets_path, encoding="utf-8") as handle:
        targets = json.load(handle)
    client = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
    pairs = [(command_id, instance_id) for command_id, instance_ids in targets.items() for instance_id in instance_ids]
    with open(out_path, "w", encoding="utf-8") as out, concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        for result in pool.map(lambda pair: wait_one(client, *pair), pairs):
            out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
