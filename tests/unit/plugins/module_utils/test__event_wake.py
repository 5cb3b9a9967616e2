# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pauses spent listening to status events: when they end early, what they ignore, what they cost.

A fake SQS answers long polls on the fake clock: a message arrives at a given second, and a long
poll returns when one is there or when its whole seconds are up, as SQS does.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from ansible_collections.multicloud.invocations.plugins.module_utils._event_wake import EventWake
from ansible_collections.multicloud.invocations.plugins.module_utils._sqs_events import EventQueue
from ansible_collections.multicloud.invocations.plugins.module_utils._wait_task import validate_wait_options, wait_and_judge
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput, ProviderError
from ansible_collections.multicloud.invocations.plugins.module_utils._provider import Watch
from ansible_collections.multicloud.invocations.plugins.module_utils._waiter import Snapshot, WaitSettings, wait_for

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/waits"
CMD = "0b6bd0d8-0c8b-4a3e-9a55-4b2c1f5e7d10"
OTHER = "11111111-2222-3333-4444-555555555555"


def event(status, command=CMD, instance="i-00000000000000000"):
    if instance is None:
        return json.dumps({"source": "aws.ssm", "detail-type": "EC2 Command Status-change Notification", "id": "e", "time": "t",
                           "detail": {"command-id": command, "status": status}})
    return json.dumps({"source": "aws.ssm", "detail-type": "EC2 Command Invocation Status-change Notification", "id": "e", "time": "t",
                       "detail": {"command-id": command, "instance-id": instance, "status": status}})


class TimedSqs:
    """SQS on the fake clock: ``arrivals`` are (second since start, body); a long poll waits for one."""

    def __init__(self, clock, arrivals=(), error=None):
        self.clock = clock
        self.arrivals = sorted(arrivals, key=lambda arrival: arrival[0])
        self.error = error
        self.waits: list[int] = []
        self.deleted = 0

    def receive_message(self, QueueUrl, MaxNumberOfMessages, WaitTimeSeconds):  # noqa: N803  # boto3's names
        self.waits.append(WaitTimeSeconds)
        if self.error:
            raise self.error
        if not any(at <= self.clock.elapsed for at, _body in self.arrivals):
            upcoming = [at for at, _body in self.arrivals if at <= self.clock.elapsed + WaitTimeSeconds]
            self.clock.now = self.clock.start + (min(upcoming) if upcoming else self.clock.elapsed + WaitTimeSeconds)
        due = [arrival for arrival in self.arrivals if arrival[0] <= self.clock.elapsed][:MaxNumberOfMessages]
        for arrival in due:
            self.arrivals.remove(arrival)
        return {"Messages": [{"ReceiptHandle": f"h{index}", "Body": body} for index, (_at, body) in enumerate(due)]}

    def delete_message_batch(self, QueueUrl, Entries):  # noqa: N803
        self.deleted += len(Entries)
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


def wake_on(fake_clock, sqs, **kwargs):
    kwargs.setdefault("run_ids", [CMD])
    return EventWake(EventQueue(sqs, QUEUE), sleep=fake_clock.sleep, clock=fake_clock.clock, **kwargs)


def test_a_command_event_ends_the_pause_when_it_arrives(fake_clock):
    sqs = TimedSqs(fake_clock, [(3, event("Success", instance=None))])
    wake = wake_on(fake_clock, sqs)
    wake(7.5, Snapshot())
    assert fake_clock.elapsed == 3
    assert wake.woke_rounds == 1
    assert sqs.waits == [7]
    assert fake_clock.sleeps == pytest.approx([0.5]), "the part of a second first, then the long poll"


def test_a_silent_queue_is_long_polled_in_whole_seconds_and_the_rest_slept(fake_clock):
    sqs = TimedSqs(fake_clock)
    wake = wake_on(fake_clock, sqs)
    wake(7.5, Snapshot())
    assert sqs.waits == [7]
    assert fake_clock.sleeps == pytest.approx([0.5])
    assert fake_clock.elapsed == pytest.approx(7.5)
    assert wake.woke_rounds == 0


def test_the_part_of_a_second_is_slept_first_so_a_late_event_still_wakes(fake_clock):
    # An event in the last half second of a 7.5 s pause: slept last, that half second would hide it.
    sqs = TimedSqs(fake_clock, [(7.2, event("Success", instance=None))])
    wake = wake_on(fake_clock, sqs)
    wake(7.5, Snapshot())
    assert fake_clock.sleeps == pytest.approx([0.5]) and sqs.waits == [7]
    assert fake_clock.elapsed == pytest.approx(7.2) and wake.woke_rounds == 1


def test_a_pause_under_a_second_is_slept(fake_clock):
    sqs = TimedSqs(fake_clock)
    wake = wake_on(fake_clock, sqs)
    wake(0.8, Snapshot())
    assert sqs.waits == [] and fake_clock.sleeps == pytest.approx([0.8])


def test_events_not_worth_a_read_do_not_end_the_pause(fake_clock):
    arrivals = [
        (1, event("InProgress", instance=None)),  # not final
        (2, event("Success", command=OTHER, instance=None)),  # another command
        (3, event("Success")),  # one instance succeeded: the command's own event says when all did
        (4, "not an event"),
    ]
    sqs = TimedSqs(fake_clock, arrivals)
    wake = wake_on(fake_clock, sqs)
    wake(10, Snapshot())
    assert fake_clock.elapsed == pytest.approx(10)
    assert wake.woke_rounds == 0
    assert sqs.deleted == 4, "every message read is deleted, ours or not"
    assert wake.report() == {"received": 4, "ours": 3, "woke_rounds": 0, "sqs_calls": 5 + 4, "unreadable": False}


def test_the_last_open_instance_ending_wakes_before_its_commands_event(fake_clock, rec):
    # The last round left one of three targets open (two read final); the instance's own event
    # wakes the wait, whenever the command's event comes.
    last_round = Snapshot(records=[rec("success", "i-1", command_id=CMD), rec("success", "i-2", command_id=CMD),
                                   rec("running", "i-3", command_id=CMD)], expected=3)
    sqs = TimedSqs(fake_clock, [(2, event("Success", instance="i-3"))])
    wake = wake_on(fake_clock, sqs, follow_failures=False)
    wake(10, last_round)
    assert (fake_clock.elapsed, wake.woke_rounds) == (2, 1)


def test_fewer_instances_ending_than_were_open_wake_nobody(fake_clock, rec):
    counted = Snapshot(expected=3, unread={"running": 2, "success": 1})  # a counters round: two open
    sqs = TimedSqs(fake_clock, [(2, event("Success", instance="i-2")), (3, event("Success", instance="i-2"))])
    wake = wake_on(fake_clock, sqs, follow_failures=False)
    wake(10, counted)
    assert (fake_clock.elapsed, wake.woke_rounds) == (10, 0)
    sqs.arrivals.append((11, event("Success", instance="i-3")))
    sqs.arrivals.append((12, event("Success", instance="i-1")))
    wake(10, counted)
    assert (fake_clock.elapsed, wake.woke_rounds) == (12, 1)


def test_a_failure_wakes_when_the_policy_may_stop_at_one(fake_clock):
    wake = wake_on(fake_clock, TimedSqs(fake_clock, [(2, event("Failed"))]), follow_failures=True)
    wake(10, Snapshot())
    assert (fake_clock.elapsed, wake.woke_rounds) == (2, 1)


def test_a_failure_does_not_wake_when_the_policy_never_stops_early(fake_clock):
    wake = wake_on(fake_clock, TimedSqs(fake_clock, [(2, event("Failed"))]), follow_failures=False)
    wake(10, Snapshot())
    assert (fake_clock.elapsed, wake.woke_rounds) == (10, 0)


def test_a_named_instance_that_ends_wakes_and_others_do_not(fake_clock):
    sqs = TimedSqs(fake_clock, [(2, event("Success", instance="i-1")), (5, event("Success", instance="i-2"))])
    wake = wake_on(fake_clock, sqs, instance_ids=["i-2"], follow_failures=False)
    wake(10, Snapshot())
    assert (fake_clock.elapsed, wake.woke_rounds) == (5, 1)


def test_a_repeated_or_late_event_wakes_nobody(fake_clock, rec):
    final = rec("failed", "i-9", command_id=CMD)
    sqs = TimedSqs(fake_clock, [(1, event("Failed", instance="i-1")), (2, event("Failed", instance="i-1")), (3, event("Failed", instance="i-9"))])
    wake = wake_on(fake_clock, sqs)
    wake(10, Snapshot(records=[final]))
    assert (fake_clock.elapsed, wake.woke_rounds) == (1, 1)
    # The same event again, and one about a target the last round already read as final.
    wake(10, Snapshot(records=[final]))
    assert fake_clock.elapsed == 11 and wake.woke_rounds == 1


def test_a_long_poll_waits_no_longer_than_a_request_may_take(fake_clock):
    sqs = TimedSqs(fake_clock)
    wake = wake_on(fake_clock, sqs, longest_poll=lambda: 4.0)
    wake(10, Snapshot())
    assert sqs.waits == [4, 4, 2]
    assert fake_clock.sleeps == []


def test_an_unreadable_queue_warns_once_and_the_wait_sleeps(fake_clock):
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no sqs:ReceiveMessage"}, "ResponseMetadata": {"RequestId": "rq-1"}},
                         "ReceiveMessage")
    sqs = TimedSqs(fake_clock, error=denied)
    wake = wake_on(fake_clock, sqs)
    wake(5, Snapshot())
    wake(5, Snapshot())
    assert sqs.waits == [5], "not asked again once unreadable"
    assert fake_clock.sleeps == pytest.approx([5, 5])
    assert wake.unreadable == f"SQS ReceiveMessage on {QUEUE} failed: no sqs:ReceiveMessage (error code AccessDenied, request id rq-1)"
    assert not wake.announces_changes
    assert wake.report()["unreadable"].endswith("(error code AccessDenied, request id rq-1)")


def test_the_report_adds_the_slices_before(fake_clock):
    wake = wake_on(fake_clock, TimedSqs(fake_clock, [(1, event("Success", instance=None))]))
    wake(3, Snapshot())
    assert wake.report({"received": 2, "ours": 1, "woke_rounds": 1, "sqs_calls": 6, "unreadable": False}) == {
        "received": 3, "ours": 2, "woke_rounds": 2, "sqs_calls": 8, "unreadable": False,
    }


# -- in the waiter ------------------------------------------------------------------------------


def test_the_waiter_hands_its_pauses_over_and_reads_at_once_after_a_wake(fake_clock, rec):
    running, done = Snapshot(records=[rec("running")], expected=1), Snapshot(records=[rec("success")], expected=1, complete=True)
    polls = []

    def poll():
        polls.append(fake_clock.elapsed)
        return done if fake_clock.elapsed >= 9 else running

    wake = wake_on(fake_clock, TimedSqs(fake_clock, [(9, event("Success", instance=None))]))
    outcome = wait_for(poll, WaitSettings(timeout=600, interval=2, max_interval=15), pause_with=wake, **fake_clock.hooks())
    # While events announce changes the pacer backs off from the start: 0, 3 (2 x 1.5), 7.5 (3 x 1.5),
    # then the event at 9 instead of the pacer's 14.25.
    assert polls == pytest.approx([0, 3, 7.5, 9])
    assert outcome.ended_because == "finished" and outcome.polls == 4 and wake.woke_rounds == 1


def test_while_events_announce_changes_the_pacer_backs_off_as_counts_change(fake_clock, rec):
    # Counts change every round (one more target ends), which resets a polling wait to the base interval.
    rounds = [Snapshot(records=[rec("success", f"i-{n}") for n in range(done)] + [rec("running", "i-x")], expected=done + 1) for done in range(6)]
    last = Snapshot(records=[rec("success")], expected=1, complete=True)
    steps = iter(rounds + [last])

    polled = wait_for(lambda: next(steps), WaitSettings(timeout=600, interval=2, backoff=2, max_interval=15), **fake_clock.hooks())
    assert fake_clock.sleeps == pytest.approx([2.0] * 6) and polled.polls == 7

    fake_clock.sleeps.clear()
    steps = iter(rounds + [last])
    wake = wake_on(fake_clock, TimedSqs(fake_clock))
    wake._sleep = lambda seconds: None  # the fake SQS moves the clock; only the pauses asked for matter here
    pauses = []

    def pause(seconds, snapshot):
        pauses.append(seconds)
        wake(seconds, snapshot)

    pause.announces_changes = True
    wait_for(lambda: next(steps), WaitSettings(timeout=600, interval=2, backoff=2, max_interval=15), pause_with=pause, **fake_clock.hooks())
    assert pauses == pytest.approx([4.0, 8.0, 15.0, 15.0, 15.0, 15.0])


# -- in the task --------------------------------------------------------------------------------


class OneCommandWatch(Watch):
    run_key = "CommandId"

    def __init__(self, clock, rec):
        self.clock = clock
        self.rec = rec

    def poll(self):
        done = self.clock.elapsed >= 4
        return Snapshot(records=[self.rec("success" if done else "running", command_id=CMD)], expected=1, complete=done)


class EventProvider:
    name = "aws_ssm"

    def __init__(self, clock, rec, sqs):
        self.api_calls = self.retries = 0
        self._watch = OneCommandWatch(clock, rec)
        self._sqs = sqs

    def limit_requests_to(self, seconds):
        pass

    def default_timeout(self, commands):
        return 600.0

    def watch(self, commands, instance_ids, include_output):
        return self._watch

    def event_queue(self, queue_url):
        return EventQueue(self._sqs, queue_url)

    @staticmethod
    def longest_long_poll():
        return 20.0


def wait_params(**overrides):
    values = {"timeout": None, "delay": 0.0, "interval": 2.0, "max_interval": 15.0, "not_found_grace": 30.0, "max_failures": None,
              "min_success_percent": None, "fail_fast": False, "undeliverable": "failure", "fail_on_timeout": True, "fail_on_failure": True,
              "instance_ids": None, "include_output": True, "event_queue": QUEUE}
    values.update(overrides)
    return values


def test_the_result_says_what_the_queue_brought(fake_clock, rec):
    sqs = TimedSqs(fake_clock, [(4, event("Success", instance=None))])
    result, error, failure = wait_and_judge(EventProvider(fake_clock, rec, sqs), [{"CommandId": CMD}], wait_params(), **fake_clock.hooks())
    assert (error, failure, result["verdict"]) == (None, None, "success")
    # Polls at 0 and 3, a long poll from 3 that the event at 4 ends (two ReceiveMessage, one delete), a poll at 4.
    assert result["events"] == {"received": 1, "ours": 1, "woke_rounds": 1, "sqs_calls": 3, "unreadable": False}
    assert result["polls"] == 3 and result["elapsed"] == 4 and result["wait_warnings"] == []


def test_an_unreadable_queue_is_a_wait_warning_and_the_same_verdict(fake_clock, rec):
    sqs = TimedSqs(fake_clock, error=ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "gone"}}, "ReceiveMessage"))
    result, error, _failure = wait_and_judge(EventProvider(fake_clock, rec, sqs), [{"CommandId": CMD}], wait_params(), **fake_clock.hooks())
    assert error is None and result["verdict"] == "success"
    assert result["events"]["unreadable"].endswith("(error code AWS.SimpleQueueService.NonExistentQueue)")
    assert result["wait_warnings"] == ["the event queue cannot be read, so this wait polled without it: SQS ReceiveMessage on "
                                       f"{QUEUE} failed: gone (error code AWS.SimpleQueueService.NonExistentQueue)"]


def test_a_later_slice_does_not_read_a_queue_found_unreadable(fake_clock, rec):
    sqs = TimedSqs(fake_clock)
    before = {"received": 0, "ours": 0, "woke_rounds": 0, "sqs_calls": 1, "unreadable": "SQS ReceiveMessage failed: gone"}
    params = wait_params(resume={"events": before, "elapsed": 1.0, "timeout": 600})
    result, _error, _failure = wait_and_judge(EventProvider(fake_clock, rec, sqs), [{"CommandId": CMD}], params, **fake_clock.hooks())
    assert sqs.waits == []
    assert result["events"] == before
    assert result["wait_warnings"] == ["the event queue cannot be read, so this wait polled without it: SQS ReceiveMessage failed: gone"]


def test_a_queue_that_cannot_be_set_up_is_unreadable(fake_clock, rec):
    provider = EventProvider(fake_clock, rec, TimedSqs(fake_clock))

    def no_client(queue_url):
        raise ProviderError("no sqs client can be made beside an SSM client built elsewhere", provider="aws_ssm")

    provider.event_queue = no_client
    result, error, _failure = wait_and_judge(provider, [{"CommandId": CMD}], wait_params(), **fake_clock.hooks())
    assert error is None and result["verdict"] == "success"
    assert result["events"]["unreadable"] == "no sqs client can be made beside an SSM client built elsewhere"
    assert result["events"]["sqs_calls"] == 0


def test_a_provider_without_events_refuses_the_queue(fake_clock, rec):
    provider = EventProvider(fake_clock, rec, TimedSqs(fake_clock))
    provider.event_queue = None
    with pytest.raises(InvalidInput, match="cannot wake on status events"):
        wait_and_judge(provider, [{"CommandId": CMD}], wait_params(), **fake_clock.hooks())


def test_event_queue_is_refused_with_waits_before_any_call():
    with pytest.raises(InvalidInput, match="event_queue wakes a wait on one provider's runs"):
        validate_wait_options(wait_params(waits=[{"provider": "aws_ssm", "command_ids": [CMD]}]))
