# SSM's delivery of the complete output to S3, as the agent does it.
#
# When SendCommand names OutputS3BucketName, the SSM Agent uploads each plugin's complete stdout and
# stderr to `<OutputS3KeyPrefix>/<CommandId>/<InstanceId>/<plugin, no colons>/<position>.<plugin>/stdout`
# (and `/stderr`), while GetCommandInvocation keeps only 24,000 / 8,000 characters and the list
# view 2,500 ("Understanding command output": https://docs.aws.amazon.com/systems-manager/latest/userguide/
# sysman-rc-about-output.html; the StandardOutputUrl field of GetCommandInvocation). fleetsim uploads
# to the S3 endpoint it is told about (--s3-endpoint, or `s3_endpoint` in POST /_fleetsim/config),
# a moto_server in the tests, with plain botocore: it never imports the collection.
#
# The agent uploads as the command ends; fleetsim's invocations end on the clock without an event,
# so the upload happens the first time an ended invocation is read, before that answer is sent.
# Without an endpoint nothing is uploaded (as when the instance profile may not write the bucket),
# and a failed upload (no such bucket) is logged, never an error of the command: the agent behaves so.
from __future__ import annotations

import sys
import threading
from typing import Any, Callable
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config

# (stdout key, stdout, stderr key, stderr) of each plugin of one invocation: the keys are those of
# the StandardOutputUrl / StandardErrorUrl the front-end reports, so the two cannot disagree.
PluginOutputs = list[tuple[str, str, str, str]]


class BotocoreDelivery:
    """What the agent's deliveries share: one botocore client per endpoint and region, signed with
    the first key pair, and the (command, instance) pairs already delivered."""

    service = ""
    extra_config: dict[str, Any] = {}

    def __init__(self, settings: Any, secrets: dict[str, str]) -> None:
        self.settings = settings
        # secrets maps access key -> secret key; the first pair signs the uploads (moto does not check them).
        self._secrets = secrets
        self._access_key = next(iter(secrets), "fleetsim")
        self._lock = threading.Lock()
        self._delivered: set[tuple[str, str]] = set()
        self._clients: dict[str, Any] = {}

    def reset(self) -> None:
        with self._lock:
            self._delivered.clear()

    def _client(self, endpoint: str, region: str) -> Any:
        key = f"{endpoint} {region}"
        if key not in self._clients:
            session = botocore.session.get_session()
            self._clients[key] = session.create_client(
                self.service, endpoint_url=endpoint, region_name=region or "us-east-1",
                aws_access_key_id=self._access_key,
                aws_secret_access_key=self._secrets.get(self._access_key, "fleetsim"),
                config=Config(retries={"max_attempts": 1}, **self.extra_config),
            )
        return self._clients[key]


class OutputDelivery(BotocoreDelivery):
    service = "s3"
    extra_config = {"s3": {"addressing_style": "path"}}

    def deliver_once(self, command_id: str, instance_id: str, meta: dict[str, Any], outputs: Callable[[], PluginOutputs]) -> None:
        """Upload the complete output of one ended invocation, the first time it is read."""
        endpoint = self.settings.s3_endpoint
        bucket = meta.get("OutputS3BucketName")
        if not endpoint or not bucket:
            return
        with self._lock:
            if (command_id, instance_id) in self._delivered:
                return
            self._delivered.add((command_id, instance_id))
        client = self._client(endpoint, meta.get("OutputS3Region", ""))
        for stdout_key, stdout, stderr_key, stderr in outputs():
            # The agent uploads stderr only when the plugin wrote some.
            for key, text in ((stdout_key, stdout), (stderr_key, stderr if stderr else None)):
                if text is None or not key:
                    continue
                try:
                    client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
                except Exception as error:  # pylint: disable=broad-exception-caught  # the agent logs it and goes on
                    sys.stderr.write(f"fleetsim: S3 upload of {key} to {bucket} failed: {error}\n")


def key_of(url: str, bucket: str) -> str:
    """The object key of a path-style S3 URL (https://s3.<region>.amazonaws.com/<bucket>/<key>)."""
    path = urlsplit(url).path
    marker = f"/{bucket}/"
    return path.split(marker, 1)[1] if marker in path else ""
