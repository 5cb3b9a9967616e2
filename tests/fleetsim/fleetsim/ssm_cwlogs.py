# SSM's delivery of the complete output to CloudWatch Logs, as the agent does it.
#
# When SendCommand carries CloudWatchOutputConfig with CloudWatchOutputEnabled, the SSM Agent sends
# each plugin's complete stdout and stderr to the log group CloudWatchLogGroupName (when that is
# empty, `/aws/ssm/<DocumentName>`), in the streams `<CommandId>/<InstanceId>/<plugin id>/stdout` and
# `/stderr`, where the plugin id is the step's name (the plugin's name for a schema 1.2 document
# such as AWS-RunShellScript: `aws:runShellScript`) with every `:` and `*` turned into `-`
# ("Configuring Amazon CloudWatch Logs for Run Command":
# https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-setting-up-cwlogs.html;
# the CloudWatchOutputConfig type of the SSM API reference).
#
# The agent reads the plugin's output file a line at a time and packs whole lines into one event
# until the next line would pass its event size; once the command has ended, it drops the newline
# at the end of each event it builds. A stream the plugin never wrote to gets no stream (the agent
# creates a stream with its first event). fleetsim does the same with smaller events, so a test
# output spans many of them, and sends them to the CloudWatch Logs endpoint it is told about
# (--logs-endpoint, or `logs_endpoint` in POST /_fleetsim/config), a moto_server in the tests, with
# plain botocore: it never imports the collection. As with S3 (ssm_s3.py), the delivery happens the
# first time an ended invocation is read; a failed delivery is logged, never an error of the command.
from __future__ import annotations

import sys
import time
from typing import Callable

from fleetsim.ssm_s3 import BotocoreDelivery

# The agent's event size is larger; smaller events make a test output span many events.
EVENT_BYTES = 4096
# PutLogEvents takes at most 10,000 events and 1,048,576 bytes (each event counts 26 bytes more).
EVENTS_PER_CALL = 10_000
BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD = 26

# (plugin id, stdout, stderr) of each plugin of one invocation, whole.
PluginStreams = list[tuple[str, str, str]]


def default_group(document_name: str) -> str:
    return f"/aws/ssm/{document_name}"


def stream_name(command_id: str, instance_id: str, plugin_id: str, stream: str) -> str:
    """`<CommandId>/<InstanceId>/<plugin id>/<stream>`, `:` and `*` replaced as the agent does."""
    return f"{command_id}/{instance_id}/{plugin_id}/{stream}".replace(":", "-").replace("*", "-")


def events_of(text: str) -> list[str]:
    """The messages the agent sends for ``text`` once the command ended: whole lines packed up to
    EVENT_BYTES, each without its last newline."""
    messages: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if current and len((current + line).encode("utf-8")) > EVENT_BYTES:
            messages.append(current)
            current = ""
        current += line
    if current:
        messages.append(current)
    return [message[:-1] if message.endswith("\n") else message for message in messages]


class LogsDelivery(BotocoreDelivery):
    service = "logs"

    def deliver_once(self, command_id: str, instance_id: str, group: str, region: str, streams: Callable[[], PluginStreams]) -> None:
        """Send the complete output of one ended invocation to ``group``, the first time it is read."""
        endpoint = self.settings.logs_endpoint
        if not endpoint or not group:
            return
        with self._lock:
            if (command_id, instance_id) in self._delivered:
                return
            self._delivered.add((command_id, instance_id))
        client = self._client(endpoint, region)
        try:
            # The agent creates the group when it is missing.
            client.create_log_group(logGroupName=group)
        except client.exceptions.ResourceAlreadyExistsException:
            pass
        except Exception as error:  # pylint: disable=broad-exception-caught  # the agent logs it and sends nothing
            sys.stderr.write(f"fleetsim: CloudWatch Logs group {group} could not be created: {error}\n")
            return
        # Wall-clock time: CloudWatch Logs refuses events far from its own clock.
        timestamp = int(time.time() * 1000)
        for plugin_id, stdout, stderr in streams():
            for stream, text in (("stdout", stdout), ("stderr", stderr)):
                messages = events_of(text or "")
                if not messages:
                    continue
                name = stream_name(command_id, instance_id, plugin_id, stream)
                try:
                    client.create_log_stream(logGroupName=group, logStreamName=name)
                    for batch in _batches(messages):
                        client.put_log_events(logGroupName=group, logStreamName=name,
                                              logEvents=[{"timestamp": timestamp, "message": message} for message in batch])
                except Exception as error:  # pylint: disable=broad-exception-caught  # the agent logs it and goes on
                    sys.stderr.write(f"fleetsim: CloudWatch Logs delivery of {name} to {group} failed: {error}\n")


def _batches(messages: list[str]) -> list[list[str]]:
    """The PutLogEvents calls for ``messages``, each within the call's event count and size."""
    batches: list[list[str]] = [[]]
    size = 0
    for message in messages:
        cost = len(message.encode("utf-8")) + EVENT_OVERHEAD
        if batches[-1] and (len(batches[-1]) >= EVENTS_PER_CALL or size + cost > BYTES_PER_CALL):
            batches.append([])
            size = 0
        batches[-1].append(message)
        size += cost
    return [batch for batch in batches if batch]
