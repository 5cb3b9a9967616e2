# EventBridge's Run Command status events, delivered to SQS: their documented shape, one per status
# change, and the delivery faults EventBridge allows (duplicates, losses, late and out-of-order
# events). moto_server is the SQS peer.
from __future__ import annotations

import json

import boto3
import pytest

from conftest import control, fleet_from, ssm_client, wait_for
from fleetsim.clock import ManualClock
from fleetsim.eventbridge import EventBridge, EventPlan

QUEUE = "http://sqs.test/123456789012/waits"
OTHER_QUEUE = "http://sqs.test/123456789012/pager"


def sent_command(app, names=None, duration=2):
    ssm = ssm_client(app.url)
    ids = [inst.id for inst in app.engine.instances if names is None or inst.name in names]
    return ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=ids, Parameters={"commands": ["true"]})["Command"]["CommandId"]


@pytest.fixture(name="virtual")
def virtual_fixture(make_app, tmp_path):
    clock = ManualClock()
    instances = fleet_from([{"name": "fast", "virtual": {"duration": 2}}, {"name": "slow", "virtual": {"duration": 5, "exit_code": 1}}],
                           tmp_path=tmp_path)
    app = make_app(instances, mode="virtual", clock=clock)
    return app, clock


def bridge(app, **plan):
    sent = []

    def send(endpoint, queue, bodies):
        sent.extend((endpoint, queue, json.loads(body)) for body in bodies)
        return 0

    events = EventBridge(app.engine, {}, send=send)
    events.configure(EventPlan.parse(dict({"queue_url": QUEUE}, **plan)), watch=False)
    return events, sent


def statuses(sent):
    return [(body["detail"].get("instance-id"), body["detail"]["status"]) for _endpoint, _queue, body in sent]


def test_each_status_change_is_one_event_of_the_documented_shape(virtual):
    app, clock = virtual
    events, sent = bridge(app)
    command_id = sent_command(app)
    fast, slow = (inst.id for inst in app.engine.instances)
    events.step(clock.now())
    clock.advance(1.1)
    events.step(clock.now())
    clock.advance(2)
    events.step(clock.now())
    clock.advance(5)
    events.step(clock.now())
    events.step(clock.now())  # nothing new: nothing sent
    assert statuses(sent) == [
        (fast, "Pending"), (slow, "Pending"), (None, "Pending"),
        (fast, "InProgress"), (slow, "InProgress"), (None, "InProgress"),
        (fast, "Success"),
        (slow, "Failed"), (None, "Failed"),
    ]
    endpoint, queue, invocation = sent[6]
    assert (endpoint, queue) == ("http://sqs.test", QUEUE)
    assert set(invocation) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert invocation["source"] == "aws.ssm" and invocation["detail-type"] == "EC2 Command Invocation Status-change Notification"
    assert invocation["resources"] == [f"arn:aws:ec2:us-east-1:123456789012:instance/{fast}"]
    assert set(invocation["detail"]) == {"command-id", "document-name", "instance-id", "requested-date-time", "status"}
    assert invocation["detail"]["command-id"] == command_id and invocation["detail"]["document-name"] == "AWS-RunShellScript"
    command = sent[-1][2]
    assert command["detail-type"] == "EC2 Command Status-change Notification"
    assert set(command["detail"]) == {"command-id", "document-name", "expire-after", "parameters", "requested-date-time", "status"}
    assert command["detail"]["parameters"] == {"commands": ["true"]}
    assert len(command["resources"]) == 2
    # Stamped with when the change happened (the end of the slow instance), not when it was seen.
    assert command["time"] == sent[-2][2]["time"]
    assert events.describe()["sent"] == 9 and events.describe()["emitted"] == 9


def test_events_due_together_go_out_in_batches_of_ten_per_queue(make_app, tmp_path):
    clock = ManualClock()
    app = make_app(fleet_from([{"name_prefix": "many-", "count": 23, "virtual": {"duration": 2}}], tmp_path=tmp_path), mode="virtual", clock=clock)
    requests = []

    def send(_endpoint, queue, bodies):
        requests.append((queue, [json.loads(body)["detail"]["status"] for body in bodies]))
        return 1 if queue == OTHER_QUEUE else 0  # the second queue refuses one entry of each batch

    events = EventBridge(app.engine, {}, send=send)
    events.configure(EventPlan.parse({"queue_urls": [QUEUE, OTHER_QUEUE]}), watch=False)
    sent_command(app)
    events.step(clock.now())  # 23 invocations and the command: 24 Pending events, to each queue
    assert [(queue, len(statuses_)) for queue, statuses_ in requests] == [
        (QUEUE, 10), (QUEUE, 10), (QUEUE, 4), (OTHER_QUEUE, 10), (OTHER_QUEUE, 10), (OTHER_QUEUE, 4)]
    assert all(status == "Pending" for _queue, statuses_ in requests for status in statuses_)
    described = events.describe()
    assert (described["emitted"], described["sent"], described["send_failures"]) == (24, 48 - 3, 3)


def test_only_changes_after_events_are_turned_on_are_sent(virtual):
    app, clock = virtual
    sent_command(app)
    clock.advance(10)
    events, sent = bridge(app)
    events.step(clock.now())
    assert sent == []


def test_every_nth_event_is_lost_or_sent_twice(virtual):
    app, clock = virtual
    events, sent = bridge(app, drop_every=3, duplicate_every=2)
    sent_command(app)
    events.step(clock.now())  # Pending x3: 1, 2 (twice), 3 (lost)
    clock.advance(10)
    events.step(clock.now())  # Success, Failed, Failed: 4 (twice), 5, 6 (lost)
    assert [status for _instance, status in statuses(sent)] == ["Pending", "Pending", "Pending", "Success", "Success", "Failed"]
    described = events.describe()
    assert (described["emitted"], described["dropped"], described["duplicated"], described["sent"]) == (6, 2, 2, 6)


def test_late_events_are_sent_after_the_delay(virtual):
    app, clock = virtual
    events, sent = bridge(app, delay=3)
    sent_command(app)
    events.step(clock.now())
    assert sent == [] and events.describe()["pending"] == 3
    clock.advance(3)
    events.step(clock.now())
    assert [status for _instance, status in statuses(sent)] == ["Pending"] * 3


def test_out_of_order_events_of_one_window_are_sent_newest_first(virtual):
    app, clock = virtual
    events, sent = bridge(app, out_of_order=20)
    sent_command(app)
    events.step(clock.now())
    clock.advance(10)
    events.step(clock.now())
    clock.advance(20)
    events.step(clock.now())
    assert [status for _instance, status in statuses(sent)] == ["Failed", "Failed", "Success", "Pending", "Pending", "Pending"]


def test_only_events_a_rule_matches_are_sent(virtual):
    app, clock = virtual
    # The guide's two rules: the command's final status, and an instance's failure.
    events, sent = bridge(app, patterns=[
        {"detail-type": ["EC2 Command Status-change Notification"], "status": ["Success", "Failed", "TimedOut", "Cancelled"]},
        {"detail-type": ["EC2 Command Invocation Status-change Notification"], "status": ["Failed", "TimedOut", "Cancelled"]},
    ])
    sent_command(app)
    events.step(clock.now())  # every Pending: no rule matches
    clock.advance(10)
    events.step(clock.now())
    kinds = sorted(("Invocation" if "Invocation" in body["detail-type"] else "Command", body["detail"]["status"]) for _endpoint, _queue, body in sent)
    # Sent: the failed instance's event and the command's; not the Pendings, not the instance that succeeded.
    assert kinds == [("Command", "Failed"), ("Invocation", "Failed")]
    described = events.describe()
    assert described["unmatched"] == 4 and described["emitted"] == described["sent"] == len(sent)


@pytest.mark.parametrize("plan, message", [
    ({"queue_url": QUEUE, "patterns": [{"status": "Failed"}]}, "patterns"),
    ({"queue_url": QUEUE, "patterns": [{"source": ["aws.ssm"]}]}, "patterns"),
    ({"queue_url": QUEUE, "patterns": []}, "patterns"),
    ({"queue_url": "sqs.test/q"}, "queue URLs"),
    ({"queue_url": QUEUE, "drop_every": -1}, "drop_every"),
    ({"queue_url": QUEUE, "duplicate_every": True}, "duplicate_every"),
    ({"queue_url": QUEUE, "delay": "soon"}, "delay"),
    ({"queue_url": QUEUE, "endpoint_url": "localhost"}, "endpoint_url"),
    ({"queue_url": QUEUE, "lose": 1}, "unknown event setting"),
])
def test_a_malformed_plan_is_refused(plan, message):
    with pytest.raises(ValueError, match=message):
        EventPlan.parse(plan)


def test_no_queue_turns_events_off():
    assert EventPlan.parse({}) is None and EventPlan.parse({"queue_url": None}) is None


moto_server = pytest.importorskip("moto.server")


@pytest.fixture(name="sqs_url", scope="module")
def sqs_url_fixture():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_events_reach_a_queue_on_moto_through_the_control_api(make_app, sqs_url):
    app = make_app()
    sqs = boto3.client("sqs", endpoint_url=sqs_url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    queue_url = sqs.create_queue(QueueName="fleetsim-events")["QueueUrl"]
    described = control(app.url, "events", {"queue_url": queue_url, "endpoint_url": sqs_url})
    assert described["plan"]["queue_urls"] == [queue_url]
    command_id = sent_command(app)
    bodies = []

    def command_ended():
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return any(body["detail-type"] == "EC2 Command Status-change Notification" and body["detail"]["status"] == "Success" for body in bodies)

    wait_for(command_ended, timeout=20)
    assert {body["detail"]["command-id"] for body in bodies} == {command_id}
    ended = [body for body in bodies if body["detail"].get("instance-id") and body["detail"]["status"] == "Success"]
    assert len(ended) == 3
    assert control(app.url, "events")["send_failures"] == 0
    control(app.url, "reset", {})
    assert control(app.url, "events")["plan"] is None
