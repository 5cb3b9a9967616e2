# Vendor-neutral fleet engine: instances, commands, invocations and every state transition.
#
# The engine speaks its own small phase vocabulary (below); each vendor front-end renders
# those phases in its vendor's words.  Times are epoch seconds from an injectable clock.
#
# Two ways of driving invocations, chosen by the executor:
#   * eager (real processes): a ticker thread starts processes when a concurrency slot is
#     free, reaps them, enforces timeouts and applies the error threshold as it happens;
#   * lazy (virtual outcomes): the whole timeline is planned at send time, so reading the
#     state of 10,000 invocations later costs only a comparison of timestamps each.
from __future__ import annotations

import hashlib
import heapq
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from fleetsim.clock import SystemClock

# Phases of one invocation.
PENDING = "pending"
DELAYED = "delayed"                # agent offline: still waiting for delivery
RUNNING = "running"
CANCELLING = "cancelling"
SUCCESS = "success"
FAILED = "failed"
EXECUTION_TIMED_OUT = "execution_timed_out"
DELIVERY_TIMED_OUT = "delivery_timed_out"
UNDELIVERABLE = "undeliverable"    # instance terminated / gone
INVALID_PLATFORM = "invalid_platform"
TERMINATED = "terminated"          # never started because the error threshold was exceeded
CANCELLED = "cancelled"

OPEN_PHASES = frozenset({PENDING, DELAYED, RUNNING, CANCELLING})
ERROR_PHASES = frozenset({FAILED, EXECUTION_TIMED_OUT})

# Exit code reported for a process that was killed (timeout or cancel); matches what the
# Linux SSM agent reports (128 + SIGKILL); Windows agents report -1.
KILLED_EXIT_CODE = {"Linux": 137, "Windows": -1}


# What a machine's agent can be: heartbeating, installed but silent, or never registered.
AGENT_ONLINE = "online"
AGENT_LOST = "lost"
AGENT_UNREGISTERED = "unregistered"
AGENT_STATES = (AGENT_ONLINE, AGENT_LOST, AGENT_UNREGISTERED)


@dataclass
class Instance:
    """One simulated machine.  `workdir` is filled in by the executor set-up."""

    id: str
    name: str
    platform: str = "Linux"
    online: bool = True
    state: str = "running"
    tags: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    virtual: dict[str, Any] = field(default_factory=dict)
    undeliverable_after: float = 2.0
    index: int = 0
    workdir: str = ""
    alibaba_id: str = ""    # the id Alibaba-style front-ends use; derived from `id` unless given
    zenlayer_id: str = ""   # the id the Zenlayer ZOS front-end uses; derived from `id` unless given
    # The vendor counts this instance among a run's targets (and runs it), but its per-instance
    # result never appears in the list and get calls: a target announced and never visible.
    unlisted: bool = False
    # The vendor's agent on the machine (AGENT_STATES): "online", "lost" (installed, not heartbeating)
    # or "unregistered" (never installed or never registered). Blank: from `online`.
    agent: str = ""
    # Engine time the agent last changed state through the control API (None: as loaded).
    agent_changed_at: float | None = None

    def __post_init__(self) -> None:
        if not self.agent:
            self.agent = AGENT_ONLINE if self.online else AGENT_LOST
        if not self.alibaba_id:
            self.alibaba_id = alibaba_instance_id(self.id)
        if not self.zenlayer_id:
            self.zenlayer_id = zenlayer_instance_id(self.id)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "platform": self.platform, "online": self.online,
                "state": self.state, "tags": dict(self.tags), "alibaba_id": self.alibaba_id,
                "zenlayer_id": self.zenlayer_id, "unlisted": self.unlisted, "agent": self.agent}

    def set_agent(self, agent: str, now: float) -> None:
        """The agent goes online, is lost or was never registered from `now` on (later sends only)."""
        if agent not in AGENT_STATES:
            raise ValueError(f"agent must be one of {', '.join(AGENT_STATES)}")
        self.agent = agent
        self.online = agent == AGENT_ONLINE
        self.agent_changed_at = now


ALNUM36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def alibaba_instance_id(instance_id: str) -> str:
    """`i-` + 20 lowercase base-36 characters of sha256("fleetsim-alibaba:<id>")."""
    number = int.from_bytes(hashlib.sha256(f"fleetsim-alibaba:{instance_id}".encode()).digest(), "big")
    chars = []
    for _position in range(20):
        number, digit = divmod(number, 36)
        chars.append(ALNUM36[digit])
    return "i-" + "".join(chars)


def zenlayer_instance_id(instance_id: str) -> str:
    """19 decimal digits (no leading zero) derived from sha256("fleetsim-zenlayer:<id>")."""
    number = int.from_bytes(hashlib.sha256(f"fleetsim-zenlayer:{instance_id}".encode()).digest(), "big")
    return str(10 ** 18 + number % (9 * 10 ** 18))


@dataclass
class CommandSpec:
    """What a front-end asks the engine to run; already validated by the front-end."""

    script: list[str]
    platform: str                       # platform the document is written for
    execution_timeout: float
    delivery_timeout: float
    max_concurrency: int
    max_errors: int
    working_directory: str = ""
    meta: dict[str, Any] = field(default_factory=dict)   # vendor payload, opaque to the engine
    vendor: str = ""                    # the front-end that owns the command (others never list it)


class Invocation:
    """One command on one instance.  The timestamps fully describe its history; a timestamp in
    the future (virtual mode, or a preset delivery timeout) simply has not happened yet."""

    __slots__ = ("command", "instance", "index", "kind", "delayed_at", "started_at", "cancelling_at",
                 "ended_at", "outcome", "exit_code", "stdout", "stderr", "handle")

    def __init__(self, command: "Command", instance: Instance, index: int, kind: str) -> None:
        self.command = command
        self.instance = instance
        self.index = index
        self.kind = kind                 # runnable | offline | undeliverable | invalid_platform
        self.delayed_at: float | None = None
        self.started_at: float | None = None
        self.cancelling_at: float | None = None
        self.ended_at: float | None = None
        self.outcome: str | None = None  # terminal phase reached at ended_at
        self.exit_code: int | None = None
        self.stdout = ""
        self.stderr = ""
        self.handle: Any = None

    def phase_at(self, now: float) -> str:
        if self.ended_at is not None and now >= self.ended_at:
            return self.outcome or FAILED
        if self.cancelling_at is not None and now >= self.cancelling_at:
            return CANCELLING
        if self.started_at is not None and now >= self.started_at:
            return RUNNING
        if self.delayed_at is not None and now >= self.delayed_at:
            return DELAYED
        return PENDING

    def started_by(self, now: float) -> bool:
        return self.started_at is not None and now >= self.started_at

    def finish(self, when: float, outcome: str, exit_code: int | None = None) -> None:
        # ended_at last: it is what makes the outcome visible
        self.outcome = outcome
        self.exit_code = exit_code
        self.ended_at = when


class Command:
    """A command sent to a set of instances, with one invocation per instance in send order."""

    def __init__(self, command_id: str, seq: int, spec: CommandSpec, requested_at: float) -> None:
        self.id = command_id
        self.seq = seq
        self.spec = spec
        self.requested_at = requested_at
        self.invocations: list[Invocation] = []
        self.by_instance: dict[str, Invocation] = {}
        self.waiting: list[Invocation] = []   # eager mode: runnable, not yet started
        self.running: list[Invocation] = []   # eager mode: process alive
        self.aborted_at: float | None = None  # when errors first exceeded max_errors
        self.cancel_requested = False
        self.final_counts: dict[str, int] | None = None

    @property
    def meta(self) -> dict[str, Any]:
        return self.spec.meta


class Engine:
    """Holds the fleet and all commands; every public method is thread-safe."""

    def __init__(self, instances: list[Instance], executor: Any, clock: Any = None, *,
                 dispatch_delay: float = 0.2, delayed_after: float = 1.0, cancel_grace: float = 0.2,
                 tick_interval: float = 0.05) -> None:
        self.instances = list(instances)
        self.instance_by_id = {inst.id: inst for inst in self.instances}
        # Agents as the fleet file gave them, restored by reset (the control API changes them).
        self._loaded_agents = {inst.id: inst.agent for inst in self.instances}
        self.executor = executor
        self.clock = clock or SystemClock()
        self.dispatch_delay = dispatch_delay
        self.delayed_after = delayed_after
        self.cancel_grace = cancel_grace
        self.tick_interval = tick_interval
        self.commands: list[Command] = []
        self.command_by_id: dict[str, Command] = {}
        self._seq = 0
        self.lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Prepare instance directories and, for real processes, start the ticker thread."""
        self.executor.prepare(self.instances)
        if not self.executor.lazy and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick_loop, name="fleetsim-ticker", daemon=True)
            self._ticker.start()

    def shutdown(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        with self.lock:
            self._kill_all()

    def reset(self) -> None:
        """Forget every command (killing what still runs) and rewrite instance files."""
        with self.lock:
            self._kill_all()
            self.commands.clear()
            self.command_by_id.clear()
            self.executor.prepare(self.instances)
            for inst in self.instances:
                if inst.agent != self._loaded_agents[inst.id]:
                    inst.set_agent(self._loaded_agents[inst.id], self.now())
                    inst.agent_changed_at = None

    def _kill_all(self) -> None:
        for command in self.commands:
            for inv in command.running:
                self.executor.kill(inv.handle)
            command.running.clear()
            command.waiting.clear()
        self.executor.kill_leftovers()

    # -- queries ----------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def get_command(self, command_id: str) -> Command | None:
        with self.lock:
            return self.command_by_id.get(command_id)

    def snapshot_commands(self, vendor: str | None = None) -> list[Command]:
        with self.lock:
            if vendor is None:
                return list(self.commands)
            return [c for c in self.commands if c.spec.vendor == vendor]

    def counts(self, command: Command, now: float) -> dict[str, int]:
        """Number of invocations per phase at `now`; cached once every invocation is terminal,
        because a terminal invocation never changes again."""
        with self.lock:
            if command.final_counts is not None:
                return command.final_counts
            result: dict[str, int] = {}
            for inv in command.invocations:
                phase = inv.phase_at(now)
                result[phase] = result.get(phase, 0) + 1
            if not any(result.get(p) for p in OPEN_PHASES):
                command.final_counts = result
            return result

    # -- sending ----------------------------------------------------------------------------

    def send(self, command_id: str, spec: CommandSpec, targets: list[Instance]) -> Command:
        with self.lock:
            now = self.now()
            self._seq += 1
            command = Command(command_id, self._seq, spec, now)
            for index, inst in enumerate(targets):
                inv = Invocation(command, inst, index, self._classify(inst, spec))
                self._preset(inv, now)
                command.invocations.append(inv)
                command.by_instance[inst.id] = inv
                if inv.kind == "runnable":
                    command.waiting.append(inv)
            if self.executor.lazy:
                self._plan(command)
                command.waiting.clear()
            self.commands.append(command)
            self.command_by_id[command.id] = command
            return command

    @staticmethod
    def _classify(inst: Instance, spec: CommandSpec) -> str:
        if inst.state != "running":
            return "undeliverable"
        if inst.platform != spec.platform:
            return "invalid_platform"
        if not inst.online:
            return "offline"
        return "runnable"

    def _preset(self, inv: Invocation, now: float) -> None:
        """Outcomes known at send time for invocations that can never run."""
        spec = inv.command.spec
        if inv.kind == "undeliverable":
            inv.finish(now + inv.instance.undeliverable_after, UNDELIVERABLE)
        elif inv.kind == "invalid_platform":
            inv.finish(now + self.dispatch_delay, INVALID_PLATFORM)
        elif inv.kind == "offline":
            inv.delayed_at = now + self.delayed_after
            inv.finish(now + spec.delivery_timeout, DELIVERY_TIMED_OUT)

    # -- lazy (virtual) planning ------------------------------------------------------------

    def _plan(self, command: Command) -> None:
        """Simulate the whole command at send time: concurrency slots, execution timeouts,
        the delivery deadline and the error threshold, in event-time order."""
        spec = command.spec
        first_start = command.requested_at + self.dispatch_delay
        deadline = command.requested_at + spec.delivery_timeout
        busy: list[tuple[float, int, bool]] = []   # heap of (end time, index, counts as error)
        state = {"errors": 0, "aborted_at": None}

        def release(until: float) -> None:
            while busy and busy[0][0] <= until:
                end, _order, is_error = heapq.heappop(busy)
                self._count_error(state, end, is_error, spec.max_errors)

        start = first_start
        for inv in command.waiting:
            # `start` never goes back: instances are dispatched in send order.
            release(start)
            if len(busy) >= spec.max_concurrency:
                end, _order, is_error = heapq.heappop(busy)
                self._count_error(state, end, is_error, spec.max_errors)
                start = max(start, end)
                release(start)
            if state["aborted_at"] is not None:
                inv.finish(state["aborted_at"], TERMINATED)
                continue
            if start >= deadline:
                inv.finish(deadline, DELIVERY_TIMED_OUT)
                continue
            outcome = self.executor.outcome(inv)
            inv.started_at = start
            if outcome.duration > spec.execution_timeout:
                inv.finish(start + spec.execution_timeout, EXECUTION_TIMED_OUT,
                           KILLED_EXIT_CODE.get(inv.instance.platform, -1))
            else:
                inv.finish(start + outcome.duration, SUCCESS if outcome.exit_code == 0 else FAILED,
                           outcome.exit_code)
                inv.stdout, inv.stderr = outcome.stdout, outcome.stderr
            heapq.heappush(busy, (inv.ended_at, inv.index, inv.outcome in ERROR_PHASES))
        release(float("inf"))
        aborted_at = state["aborted_at"]
        if aborted_at is not None:
            command.aborted_at = aborted_at
            for inv in command.invocations:
                if inv.kind == "offline" and inv.ended_at > aborted_at:
                    inv.finish(aborted_at, TERMINATED)

    @staticmethod
    def _count_error(state: dict[str, Any], when: float, is_error: bool, max_errors: int) -> None:
        if is_error:
            state["errors"] += 1
            if state["errors"] > max_errors and state["aborted_at"] is None:
                state["aborted_at"] = when

    # -- eager (real process) driving -------------------------------------------------------

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.tick_interval):
            try:
                self.tick()
            except Exception:  # pylint: disable=broad-except  # a dead ticker would freeze every command
                traceback.print_exc()

    def tick(self) -> None:
        """Advance every open command in eager mode; a no-op in lazy mode."""
        if self.executor.lazy:
            return
        with self.lock:
            now = self.now()
            for command in self.commands:
                if command.waiting or command.running:
                    self._tick_command(command, now)

    def _tick_command(self, command: Command, now: float) -> None:
        spec = command.spec
        for inv in list(command.running):
            code = self.executor.poll(inv.handle)
            if code is not None:
                inv.stdout, inv.stderr = self.executor.collect(inv.handle)
                inv.finish(now, SUCCESS if code == 0 else FAILED, code)
                command.running.remove(inv)
            elif now >= inv.started_at + spec.execution_timeout:
                self.executor.kill(inv.handle)
                inv.stdout, inv.stderr = self.executor.collect(inv.handle)
                inv.finish(now, EXECUTION_TIMED_OUT, KILLED_EXIT_CODE.get(inv.instance.platform, -1))
                command.running.remove(inv)
        if command.aborted_at is None:
            errors = sum(1 for inv in command.invocations
                         if inv.ended_at is not None and inv.ended_at <= now and inv.outcome in ERROR_PHASES)
            if errors > spec.max_errors:
                self._abort(command, now)
        deadline = command.requested_at + spec.delivery_timeout
        for inv in list(command.waiting):
            if now >= deadline:
                inv.finish(deadline, DELIVERY_TIMED_OUT)
                command.waiting.remove(inv)
            elif now >= command.requested_at + self.dispatch_delay and len(command.running) < spec.max_concurrency:
                command.waiting.remove(inv)
                inv.started_at = now
                inv.handle = self.executor.start(inv)
                command.running.append(inv)
            else:
                break   # keep send order: later instances wait behind earlier ones

    def _abort(self, command: Command, now: float) -> None:
        """Errors exceeded the threshold: nothing that has not started will start."""
        command.aborted_at = now
        for inv in command.waiting:
            inv.finish(now, TERMINATED)
        command.waiting.clear()
        for inv in command.invocations:
            if inv.kind == "offline" and inv.ended_at > now:
                inv.finish(now, TERMINATED)

    # -- cancelling -------------------------------------------------------------------------

    def cancel(self, command: Command, instance_ids: list[str] | None = None) -> None:
        """Open invocations go to cancelling now and to cancelled after a short grace."""
        with self.lock:
            now = self.now()
            command.cancel_requested = True
            selected: Callable[[Invocation], bool] = (
                (lambda inv: inv.instance.id in instance_ids) if instance_ids else (lambda inv: True))
            for inv in command.invocations:
                if not selected(inv) or (inv.ended_at is not None and inv.ended_at <= now):
                    continue
                exit_code = None
                if inv in command.running:
                    self.executor.kill(inv.handle)
                    inv.stdout, inv.stderr = self.executor.collect(inv.handle)
                    command.running.remove(inv)
                    exit_code = KILLED_EXIT_CODE.get(inv.instance.platform, -1)
                elif inv in command.waiting:
                    command.waiting.remove(inv)
                elif inv.started_by(now):
                    # virtual: it was running; it never produces its planned output
                    inv.stdout, inv.stderr = "", ""
                    exit_code = KILLED_EXIT_CODE.get(inv.instance.platform, -1)
                else:
                    inv.started_at = None
                    inv.stdout, inv.stderr = "", ""
                inv.cancelling_at = now
                inv.finish(now + self.cancel_grace, CANCELLED, exit_code)
            command.final_counts = None
