# Alibaba status aggregation, output capping and instance ids, without a server.
from __future__ import annotations

import base64
import json

import pytest

from fleetsim import ecs_status
from fleetsim.engine import Instance, alibaba_instance_id
from fleetsim.fleet import FleetBuilder, FleetError


@pytest.mark.parametrize("statuses, expected", [
    (["Success", "Success"], "Success"),
    (["Success", "Terminated", "Cancelled"], "Success"),      # Stopped-class folds into Success
    (["Failed", "Cancelled"], "Failed"),
    (["Aborted", "Timeout", "Invalid", "Error"], "Failed"),
    (["Cancelled", "Terminated"], "Stopped"),
    (["Success", "Aborted"], "PartialFailed"),
    (["Success", "Failed", "Terminated"], "PartialFailed"),
    (["Pending", "Pending"], "Pending"),
    (["Pending", "Running"], "Running"),
    (["Success", "Pending"], "Running"),
    (["Running", "Stopping"], "Stopping"),
    (["Scheduled", "Scheduled"], "Scheduled"),
])
def test_aggregate(statuses, expected):
    assert ecs_status.aggregate(statuses) == expected


def test_output_cap_counts_bytes_and_keeps_whole_characters():
    text = "中" * 9000            # 27,000 bytes of UTF-8
    plain, dropped = ecs_status.render_output(text, "", "PlainText")
    assert len(plain.encode()) == 24 * 1024 and plain == "中" * 8192 and dropped == 27000 - 24 * 1024
    encoded, dropped_b64 = ecs_status.render_output("ok\n", "err\n", "Base64")
    assert base64.b64decode(encoded) == b"ok\nerr\n" and dropped_b64 == 0


def test_alibaba_ids(tmp_path):
    derived = Instance(id="i-0123456789abcdef0", name="x").alibaba_id
    assert derived == alibaba_instance_id("i-0123456789abcdef0") and len(derived) == 22 and derived.startswith("i-")
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps({"instances": [{"alibaba_id": "i-bp1abcdefghij0123456", "state": "stopped"}, {}]}))
    builder = FleetBuilder()
    builder.add_file(str(path))
    assert builder.instances[0].alibaba_id == "i-bp1abcdefghij0123456" and builder.instances[0].state == "stopped"
    assert builder.instances[0].public()["alibaba_id"] == "i-bp1abcdefghij0123456"
    path.write_text(json.dumps({"instances": [{"alibaba_id": "i-bp1abcdefghij0123456"}, {"alibaba_id": "i-bp1abcdefghij0123456"}]}))
    with pytest.raises(FleetError, match="duplicate alibaba_id"):
        FleetBuilder().add_file(str(path))
