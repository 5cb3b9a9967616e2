"""The peer a skilled Zenlayer engineer writes, with Zenlayer's official Python SDK.

Each round asks one question: how many of the open invocations are still Pending or Running
(DescribeCommandInvocations filtered by invocationStatuses, a page of one row: its totalCount says
it). When none is, it reads every invocation once, 100 a page (each carries its instances). The
interval is fixed at invocation_wait's default base interval (2 s). Writes one JSON line per
instance with its outcome.

Usage: python zenlayer_pending.py ENDPOINT TARGETS_JSON OUT_JSONL
"""

from __future__ import annotations

import json
import os
import sys
import time

from zenlayercloud.common import config as zos_config, credential
from zenlayercloud.zos.v20251010 import models as zos_models, zos_client

INTERVAL = 2.0
PAGE = 100


def query(invocation_ids: list[str], page_size: int, page: int = 1, statuses: list[str] | None = None):
    request = zos_models.DescribeCommandInvocationsRequest()
    request.invocationIds, request.pageSize, request.pageNum, request.invocationStatuses = invocation_ids, page_size, page, statuses
    return request


def main(endpoint: str, targets_path: str, out_path: str) -> int:
    with open(targets_path, encoding="utf-8") as handle:
        invocation_ids = list(json.load(handle))
    client = zos_client.ZosClient(
        credential.Credential(os.environ["ZENLAYER_ACCESS_KEY_ID"], os.environ["ZENLAYER_ACCESS_KEY_PASSWORD"]),
        zos_config.Config(scheme="http", domain=endpoint.split("//", 1)[1], request_timeout=60))
    while client.DescribeCommandInvocations(query(invocation_ids, 1, statuses=["Pending", "Running"])).totalCount:
        time.sleep(INTERVAL)
    results: list[tuple[str, str, str]] = []
    page = 1
    while True:
        body = client.DescribeCommandInvocations(query(invocation_ids, PAGE, page))
        for invocation in body.dataSet or []:
            for row in invocation.invocationInstances or []:
                results.append((invocation.invocationId, row.instanceId, "success" if row.taskStatus == "Success" else "failed"))
        if page * PAGE >= (body.totalCount or 0):
            break
        page += 1
    with open(out_path, "w", encoding="utf-8") as out:
        for invocation_id, instance_id, outcome in results:
            out.write(json.dumps({"command_id": invocation_id, "instance_id": instance_id, "outcome": outcome}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
