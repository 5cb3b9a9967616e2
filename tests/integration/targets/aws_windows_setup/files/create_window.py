#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create a maintenance window with one target and one RUN_COMMAND task on fleetsim, print the ids.

The collection reads windows but does not create them, so the targets set one up through the SSM
API with boto3. The secret key comes on standard input: never the command line, nor the
environment (at -vvvv Ansible prints a task's environment in its EXEC line).
"""

from __future__ import annotations

import json
import os
import sys

import boto3


def main() -> None:
    spec = json.loads(sys.argv[1])
    ssm = boto3.client(
        "ssm",
        endpoint_url=os.environ["FLEETSIM_URL"],
        region_name="us-east-1",
        aws_access_key_id=os.environ["FLEETSIM_ACCESS_KEY"],
        aws_secret_access_key=sys.stdin.read().strip(),
    )
    window_id = ssm.create_maintenance_window(
        Name=spec["name"], Schedule="cron(0 2 ? * SUN *)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False
    )["WindowId"]
    target = {"WindowId": window_id, "ResourceType": "INSTANCE", "Targets": [{"Key": spec["target_key"], "Values": spec["target_values"]}]}
    if spec.get("owner"):
        target["OwnerInformation"] = spec["owner"]
    target_id = ssm.register_target_with_maintenance_window(**target)["WindowTargetId"]
    task_id = ssm.register_task_with_maintenance_window(
        WindowId=window_id,
        Targets=[{"Key": "WindowTargetIds", "Values": [target_id]}],
        TaskArn="AWS-RunShellScript",
        TaskType="RUN_COMMAND",
        MaxConcurrency=spec.get("max_concurrency", "10"),
        MaxErrors=spec.get("max_errors", "0"),
        TaskInvocationParameters={"RunCommand": {"Parameters": {"commands": spec["commands"]}, "TimeoutSeconds": 60}},
    )["WindowTaskId"]
    print(json.dumps({"window_id": window_id, "window_target_id": target_id, "window_task_id": task_id}))


if __name__ == "__main__":
    main()
