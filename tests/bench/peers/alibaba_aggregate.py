"""The peer a skilled Cloud Assistant engineer writes, with Alibaba Cloud's official Python SDK.

Each round reads each open invocation's aggregate state (DescribeInvocations' InvocationStatus:
Alibaba has no counters); once an invocation left Pending and Running (and its Scheduled and
Stopping states), its per-instance results (DescribeInvocationResults, 50 a page, the API's
maximum) are read once. The interval is fixed at invocation_wait's default base interval (2 s).
Writes one JSON line per instance with its outcome.

Usage: python alibaba_aggregate.py ENDPOINT TARGETS_JSON OUT_JSONL
"""

from __future__ import annotations

import json
import os
import sys
import time

from alibabacloud_ecs20140526 import client as ecs_client, models as ecs_models
from alibabacloud_tea_openapi import models as openapi_models

INTERVAL = 2.0
PAGE = 50
REGION = "cn-hangzhou"
OPEN = frozenset({"Pending", "Scheduled", "Running", "Stopping"})


def settled(client, invoke_id: str) -> bool:
    body = client.describe_invocations(ecs_models.DescribeInvocationsRequest(region_id=REGION, invoke_id=invoke_id)).body
    found = body.invocations.invocation if body.invocations else []
    return bool(found) and found[0].invocation_status not in OPEN


def outcomes(client, invoke_id: str) -> dict[str, str]:
    found: dict[str, str] = {}
    token = None
    while True:
        body = client.describe_invocation_results(ecs_models.DescribeInvocationResultsRequest(
            region_id=REGION, invoke_id=invoke_id, max_results=PAGE, next_token=token)).body.invocation
        for row in body.invocation_results.invocation_result:
            found[row.instance_id] = "success" if row.invocation_status == "Success" else "failed"
        token = body.next_token
        if not token:
            return found


def main(endpoint: str, targets_path: str, out_path: str) -> int:
    with open(targets_path, encoding="utf-8") as handle:
        open_invocations = list(json.load(handle))
    config = openapi_models.Config(endpoint=endpoint.split("//", 1)[1], protocol="http", region_id=REGION,
                                   access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                                   access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    client = ecs_client.Client(config)
    results: dict[str, dict[str, str]] = {}
    while open_invocations:
        for invoke_id in list(open_invocations):
            if settled(client, invoke_id):
                results[invoke_id] = outcomes(client, invoke_id)
                open_invocations.remove(invoke_id)
        if open_invocations:
            time.sleep(INTERVAL)
    with open(out_path, "w", encoding="utf-8") as out:
        for invoke_id, by_instance in results.items():
            for instance_id, outcome in by_instance.items():
                out.write(json.dumps({"command_id": invoke_id, "instance_id": instance_id, "outcome": outcome}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
