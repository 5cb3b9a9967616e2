"""The SQS side of the events scenario: one moto_server for the whole bench, a fresh queue per run.

moto_server plays SQS (a peer nobody here wrote) and fleetsim plays EventBridge: it is told the
queue (POST /_fleetsim/events) and puts each SSM status event in it, as a rule with an SQS target
does. The queue is new for each run, so no run reads another's events.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import boto3

# moto accepts any keys; these are not the fleet's, so nothing here could leak them.
MOTO_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class MotoServer:
    """A moto_server on loopback, on a free port, until stop()."""

    def __init__(self, log_path: str) -> None:
        binary = os.path.join(os.path.dirname(sys.executable), "moto_server")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        with open(log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log,  # pylint: disable=consider-using-with
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server did not start (exit {self.process.returncode}); see {log_path}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto_server did not listen within 60 seconds; see {log_path}") from None
                time.sleep(0.1)
        self._sqs = boto3.client("sqs", endpoint_url=self.url, region_name="us-east-1", **MOTO_KEYS)

    def fresh_queue(self) -> str:
        """The URL of a new, empty queue."""
        return self._sqs.create_queue(QueueName=f"bench-events-{uuid.uuid4().hex[:12]}")["QueueUrl"]

    def delete_queue(self, queue_url: str) -> None:
        self._sqs.delete_queue(QueueUrl=queue_url)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
