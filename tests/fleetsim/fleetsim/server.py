# HTTP server: routes each request to the vendor front-end that claims it, or to the
# unsigned control endpoints under /_fleetsim/; applies the rate limit; counts and logs.
from __future__ import annotations

import datetime
import json
import select
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from fleetsim.alibaba_ecs import EcsFrontEnd
from fleetsim.answers import WrongAnswerError, WrongAnswers
from fleetsim.aws_ssm import SsmFrontEnd
from fleetsim.engine import AGENT_STATES, Engine
from fleetsim.eventbridge import EventBridge, EventPlan
from fleetsim.faults import FaultInjector
from fleetsim.logs_api import LogsFrontEnd
from fleetsim.mishaps import MishapError, Mishaps
from fleetsim.oss import OssFrontEnd, OssStore
from fleetsim.ratelimit import TokenBucket
from fleetsim.ssm_windows import WindowError
from fleetsim.wire import Request, Response, json_response
from fleetsim.zenlayer_zos import DEFAULT_TOKEN, ZosFrontEnd

CONTROL_PREFIX = "/_fleetsim/"
MAX_BODY = 16 * 1024 * 1024


@dataclass
class Settings:
    """Runtime-adjustable knobs (POST /_fleetsim/config)."""

    visibility_delay: float = 0.0
    rate_limit: float = 0.0
    mode: str = "real"
    alibaba_delivery_window: float = 60.0   # offline Alibaba instances turn Aborted after this
    # The ExitCode Alibaba reports for an instance whose process did not end by itself (Cancelled,
    # Terminated, Timeout). Every record carries the field; None keeps the engine's value (0 for a
    # process never started, the killed process's code otherwise); 0 reproduces records that read
    # like a clean exit.
    alibaba_interrupted_exit_code: int | None = None
    zenlayer_token: str = DEFAULT_TOKEN     # accepted as `Authorization: Bearer <token>`; never shown in /config
    faults: FaultInjector | None = None     # --faults: per-request faults, late commands, clock skew
    # Where SSM's complete output goes when a command names OutputS3BucketName (--s3-endpoint, or
    # s3_endpoint in /config): an S3 server such as moto_server. None: nothing is uploaded.
    s3_endpoint: str | None = None
    # Where SSM's complete output goes when a command enables CloudWatchOutputConfig (--logs-endpoint,
    # or logs_endpoint in /config): a CloudWatch Logs server such as moto_server. None: nothing is sent.
    logs_endpoint: str | None = None
    # GetLogEvents (logs_api.py) never repeats its forward token: past the stream's real events,
    # empty pages with a new token each (`logs_endless_pages` in /config).
    logs_endless_pages: bool = False

    def visibility_for(self, command_id: str) -> float:
        """Seconds after SendCommand before a command's invocations can be seen."""
        extra = self.faults.late_delay(command_id) if self.faults is not None else 0.0
        return float(self.visibility_delay) + extra

    def signing_now(self) -> datetime.datetime:
        """The server's clock as the signature checks see it (skewed by --faults skew=S)."""
        skew = self.faults.plan.skew if self.faults is not None else 0.0
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=skew)


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: dict[str, dict[str, int]] = {}
            self.total = 0
            self.throttled = 0
            self.signature_failures = 0
            self.faults = 0

    def record(self, vendor: str, operation: str, throttled: bool, signature_failed: bool, faulted: bool = False) -> None:
        with self._lock:
            per_vendor = self.requests.setdefault(vendor, {})
            per_vendor[operation] = per_vendor.get(operation, 0) + 1
            self.total += 1
            self.throttled += int(throttled)
            self.signature_failures += int(signature_failed)
            self.faults += int(faulted)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": {v: dict(ops) for v, ops in self.requests.items()}, "total": self.total,
                    "throttled": self.throttled, "signature_failures": self.signature_failures}


class RequestLog:
    """One line per request; never headers or bodies, so credentials cannot leak."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, vendor: str, operation: str, status: int, request_id: str) -> None:
        if self._stream is None:
            return
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock:
            self._stream.write(f"{stamp} {vendor} {operation} {status} {request_id}\n")
            self._stream.flush()


class FleetSim:
    """Everything one server needs: engine, settings, front-ends, limiter, stats, log."""

    def __init__(self, engine: Engine, settings: Settings, secrets: dict[str, str], log: TextIO | None = sys.stderr) -> None:
        self.engine = engine
        self.settings = settings
        self.stats = Stats()
        self.limiter = TokenBucket(settings.rate_limit)
        self.log = RequestLog(log)
        self.wrong_answers = WrongAnswers()
        self.mishaps = Mishaps()
        # New vendors plug in here: each front-end claims requests through `matches`.
        # Cloud Assistant delivers complete output to the OSS front-end's store (OssOutputDelivery).
        self.oss_store = OssStore()
        ecs = EcsFrontEnd(engine, settings, secrets)
        ecs.oss_store = self.oss_store
        # OSS claims requests by their OSS signature; the others never claim an object path (/bucket/key).
        # CloudWatch Logs reads the events the agent sent to logs_endpoint from there (logs_api.py).
        self.front_ends = [SsmFrontEnd(engine, settings, secrets), ecs, ZosFrontEnd(engine, settings, secrets),
                           OssFrontEnd(self.oss_store, settings, secrets), LogsFrontEnd(settings, secrets)]
        # EventBridge: SSM status events to SQS queues, when told where (POST /_fleetsim/events).
        self.events = EventBridge(engine, secrets)

    def dispatch(self, request: Request) -> tuple[str, Response]:
        if request.path.split("?", 1)[0].startswith(CONTROL_PREFIX):
            return "control", self.control(request)
        for front_end in self.front_ends:
            if front_end.matches(request):
                wrong = self.wrong_answers.pick(front_end.vendor, front_end.operation(request))
                if wrong is not None:
                    return front_end.vendor, self._wrong_answer(front_end, request, wrong)
                fault = self.settings.faults.before(front_end, request) if self.settings.faults is not None else None
                if fault is not None and fault.response is not None:
                    self.stats.record(front_end.vendor, fault.response.operation or front_end.operation(request), fault.throttles, False, True)
                    return front_end.vendor, fault.response
                if not self.limiter.allow():
                    response = front_end.throttled(request)
                    self.stats.record(front_end.vendor, response.operation, True, False)
                    return front_end.vendor, response
                mishap = self.mishaps.take(front_end.vendor, front_end.operation(request))
                if mishap is not None and mishap.kind == "refuse":
                    # Refused by the service itself, in its own error shape: nothing was done.
                    response = front_end.error_response(request, mishap.code, mishap.message, mishap.status)
                    self.stats.record(front_end.vendor, front_end.operation(request), False, False, True)
                    return front_end.vendor, response
                if mishap is not None and mishap.kind == "hold":
                    # Never reaches the service: held in front of it until the client gives up.
                    self.stats.record(front_end.vendor, front_end.operation(request), False, False, True)
                    return front_end.vendor, Response(0, operation=front_end.operation(request), hold_seconds=mishap.seconds)
                response = front_end.handle(request)
                if fault is not None and fault.kind:
                    response = FaultInjector.spoil(fault, response)
                if mishap is not None:
                    # The service did the work; the answer is lost or crawls on its way back.
                    response.drop_connection = mishap.kind == "lose_reply"
                    response.trickle_seconds = mishap.seconds if mishap.kind == "trickle" else 0.0
                self.stats.record(front_end.vendor, response.operation, False, response.signature_failed, bool(fault and fault.kind))
                return front_end.vendor, response
        return "-", json_response(404, {"message": "no fleetsim front-end handles this request"})

    def _wrong_answer(self, front_end: Any, request: Request, answer: str) -> Response:
        """A request under a wrong_answers rule: not handled (html500), or handled and its answer spoiled."""
        response = WrongAnswers.unhandled(answer, front_end.operation(request))
        if response is None:
            response = WrongAnswers.spoil(answer, front_end.vendor, front_end.handle(request))
        self.stats.record(front_end.vendor, response.operation or front_end.operation(request), False, response.signature_failed, True)
        return response

    # -- control endpoints ------------------------------------------------------------------

    def control(self, request: Request) -> Response:
        name = request.path.split("?", 1)[0][len(CONTROL_PREFIX):].strip("/")
        route = {("GET", "health"): self._health, ("GET", "stats"): self._stats,
                 ("POST", "reset"): self._reset, ("POST", "config"): self._config,
                 ("GET", "config"): self._get_config, ("GET", "instances"): self._instances,
                 ("POST", "window-executions"): self._start_window_execution,
                 ("GET", "timeline"): self._timeline, ("GET", "executions"): self._executions,
                 ("GET", "mishaps"): self._get_mishaps, ("POST", "mishaps"): self._set_mishaps,
                 ("POST", "agents"): self._set_agents, ("POST", "oss"): self._set_oss,
                 ("GET", "events"): self._get_events, ("POST", "events"): self._set_events}.get((request.method, name))
        if route is None:
            return json_response(404, {"message": f"unknown control endpoint {request.method} /_fleetsim/{name}"}, operation=name)
        response = route(request)
        response.operation = name
        return response

    @staticmethod
    def _health(_request: Request) -> Response:
        return json_response(200, {"status": "ok"})

    def _stats(self, _request: Request) -> Response:
        stats = self.stats.as_dict()
        if self.settings.faults is not None:
            stats["faulted"] = self.stats.faults
            stats["faults_injected"] = self.settings.faults.counts()
        if self.wrong_answers.given:
            stats["wrong_answers_given"] = dict(self.wrong_answers.given)
        return json_response(200, stats)

    def _reset(self, _request: Request) -> Response:
        self.engine.reset()
        for front_end in self.front_ends:
            reset = getattr(front_end, "reset", None)
            if reset is not None:
                reset()
        self.stats.reset()
        self.wrong_answers.reset()
        self.mishaps.reset()
        self.events.reset()
        if self.settings.faults is not None:
            self.settings.faults.reset()
        return json_response(200, {"status": "reset"})

    def _current_config(self) -> dict[str, Any]:
        config = {"visibility_delay": self.settings.visibility_delay, "rate_limit": self.settings.rate_limit,
                  "mode": self.settings.mode, "alibaba_delivery_window": self.settings.alibaba_delivery_window,
                  "alibaba_interrupted_exit_code": self.settings.alibaba_interrupted_exit_code,
                  "s3_endpoint": self.settings.s3_endpoint, "logs_endpoint": self.settings.logs_endpoint,
                  "logs_endless_pages": self.settings.logs_endless_pages}
        wrong_answers = self.wrong_answers.describe()
        if wrong_answers:
            config["wrong_answers"] = wrong_answers
        if self.settings.faults is not None:
            config["faults"] = dict(self.settings.faults.plan.describe(), active=self.settings.faults.active)
        return config

    def _get_config(self, _request: Request) -> Response:
        return json_response(200, self._current_config())

    def _config(self, request: Request) -> Response:
        try:
            changes = json.loads(request.body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            active = changes.pop("faults_active", None)
            if active is not None and (not isinstance(active, bool) or self.settings.faults is None):
                raise ValueError("faults_active must be true or false, and needs a server started with --faults")
            wrong_answers = WrongAnswers.parse(changes.pop("wrong_answers")) if "wrong_answers" in changes else None
            skew = changes.pop("clock_skew", None)
            if skew is not None and (isinstance(skew, bool) or not isinstance(skew, (int, float)) or self.settings.faults is None):
                raise ValueError("clock_skew must be a number of seconds, and needs a server started with --faults")
            s3_set = "s3_endpoint" in changes
            s3_endpoint = changes.pop("s3_endpoint", None)
            if s3_endpoint is not None and not (isinstance(s3_endpoint, str) and s3_endpoint.startswith(("http://", "https://"))):
                raise ValueError("s3_endpoint must be an http:// or https:// URL, or null")
            logs_set = "logs_endpoint" in changes
            logs_endpoint = changes.pop("logs_endpoint", None)
            if logs_endpoint is not None and not (isinstance(logs_endpoint, str) and logs_endpoint.startswith(("http://", "https://"))):
                raise ValueError("logs_endpoint must be an http:// or https:// URL, or null")
            endless = changes.pop("logs_endless_pages", None)
            if endless is not None and not isinstance(endless, bool):
                raise ValueError("logs_endless_pages must be true or false")
            interrupted_set = "alibaba_interrupted_exit_code" in changes
            interrupted = changes.pop("alibaba_interrupted_exit_code", None)
            if interrupted is not None and (isinstance(interrupted, bool) or not isinstance(interrupted, int)):
                raise ValueError("alibaba_interrupted_exit_code must be an integer or null")
            unknown = set(changes) - {"visibility_delay", "rate_limit", "alibaba_delivery_window"}
            if unknown:
                raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            values = {k: float(v) for k, v in changes.items()}
            if any(v < 0 for v in values.values()):
                raise ValueError("settings must not be negative")
        except (ValueError, TypeError, WrongAnswerError) as exc:
            return json_response(400, {"message": str(exc)})
        if wrong_answers is not None:
            self.wrong_answers.set(wrong_answers)
        if "visibility_delay" in values:
            self.settings.visibility_delay = values["visibility_delay"]
        if "rate_limit" in values:
            self.settings.rate_limit = values["rate_limit"]
            self.limiter.set_rate(values["rate_limit"])
        if "alibaba_delivery_window" in values:
            self.settings.alibaba_delivery_window = values["alibaba_delivery_window"]
        if interrupted_set:
            self.settings.alibaba_interrupted_exit_code = interrupted
        if s3_set:
            self.settings.s3_endpoint = s3_endpoint
        if logs_set:
            self.settings.logs_endpoint = logs_endpoint
        if endless is not None:
            self.settings.logs_endless_pages = endless
        if active is not None and self.settings.faults is not None:
            self.settings.faults.active = active
        if skew is not None and self.settings.faults is not None:
            self.settings.faults.plan.skew = float(skew)
        return json_response(200, self._current_config())

    def _start_window_execution(self, request: Request) -> Response:
        """Start a maintenance window execution now (AWS starts them on the window's schedule)."""
        try:
            window_id = json.loads(request.body or b"{}").get("window_id")
        except (ValueError, AttributeError):
            window_id = None
        if not isinstance(window_id, str):
            return json_response(400, {"message": 'expected a JSON object {"window_id": "mw-..."}'})
        windows = next(front_end.windows for front_end in self.front_ends if hasattr(front_end, "windows"))
        try:
            return json_response(200, windows.start_execution(window_id))
        except WindowError as exc:
            return json_response(404 if exc.code == "DoesNotExistException" else 400, {"code": exc.code, "message": exc.message})

    def _set_oss(self, request: Request) -> Response:
        """OSS test knobs: {"denied_buckets": [...], "failing_buckets": [...], "delete": ["oss://bucket/key"]} (oss.py)."""
        try:
            changes = json.loads(request.body or b"{}")
            if not isinstance(changes, dict):
                raise ValueError("expected a JSON object")
            return json_response(200, self.oss_store.configure(changes))
        except ValueError as exc:
            return json_response(400, {"message": str(exc)})

    def _get_events(self, _request: Request) -> Response:
        return json_response(200, self.events.describe())

    def _set_events(self, request: Request) -> Response:
        """Deliver SSM status events to SQS queues (``queue_url`` or ``queue_urls``, on ``endpoint_url``
        or the queue URL's own host), with delivery faults; no queue turns events off."""
        try:
            body = json.loads(request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            plan = EventPlan.parse(body)
        except (ValueError, TypeError) as exc:
            return json_response(400, {"message": str(exc)})
        self.events.configure(plan)
        return json_response(200, self.events.describe())

    def _get_mishaps(self, _request: Request) -> Response:
        return json_response(200, {"rules": self.mishaps.public()})

    def _set_mishaps(self, request: Request) -> Response:
        """Replace the mishap rules: {"rules": [{"kind": "lose_reply", "operation": "SendCommand"}]}."""
        try:
            payload = json.loads(request.body or b"{}")
            self.mishaps.set(payload.get("rules") if isinstance(payload, dict) else None)
        except (ValueError, MishapError) as exc:
            return json_response(400, {"message": str(exc)})
        return json_response(200, {"rules": self.mishaps.public()})

    def _executions(self, _request: Request) -> Response:
        """How many times each instance was given a command to run, per vendor, under the id that
        vendor's API uses: a start sent twice shows as 2, whatever the client believed."""
        id_of = {"alibaba_ecs": "alibaba_id", "zenlayer_zos": "zenlayer_id"}
        executions: dict[str, dict[str, int]] = {}
        for command in self.engine.snapshot_commands():
            per_vendor = executions.setdefault(command.spec.vendor or "-", {})
            for inv in list(command.invocations):
                instance_id = getattr(inv.instance, id_of.get(command.spec.vendor, "id"))
                per_vendor[instance_id] = per_vendor.get(instance_id, 0) + 1
        return json_response(200, {"executions": executions})

    def _set_agents(self, request: Request) -> Response:
        """Change agents' states from now on: {"agents": {"<id, vendor id or name>": "lost"}}.
        Commands already sent keep what they were sent to; agent status calls answer the new state."""
        try:
            payload = json.loads(request.body or b"{}")
            changes = payload.get("agents") if isinstance(payload, dict) else None
            if not isinstance(changes, dict) or not changes:
                raise ValueError('expected a JSON object {"agents": {"<instance id or name>": "online|lost|unregistered"}}')
            with self.engine.lock:
                found = {key: self._instance_named(key) for key in changes}
                unknown = sorted(key for key, inst in found.items() if inst is None)
                if unknown:
                    raise ValueError(f"no instance has the id or name {', '.join(unknown)}")
                bad = sorted(str(state) for state in changes.values() if state not in AGENT_STATES)
                if bad:
                    raise ValueError(f"agent state(s) {', '.join(bad)} unknown: use {', '.join(AGENT_STATES)}")
                now = self.engine.now()
                for key, state in changes.items():
                    found[key].set_agent(state, now)
        except ValueError as exc:
            return json_response(400, {"message": str(exc)})
        return json_response(200, {"agents": {inst.id: inst.agent for inst in self.engine.instances}})

    def _instance_named(self, key: str) -> Any:
        for inst in self.engine.instances:
            if key in (inst.id, inst.alibaba_id, inst.zenlayer_id, inst.name):
                return inst
        return None

    def _instances(self, _request: Request) -> Response:
        return json_response(200, {"instances": [inst.public() for inst in self.engine.instances]})

    def _timeline(self, _request: Request) -> Response:
        """When each invocation started and reached its final phase (epoch seconds, engine clock).

        For benchmarks and tests that measure how soon a client notices an end: a time in the
        future (virtual mode plans ahead) has not happened yet and is shown as null."""
        now = self.engine.now()
        commands = []
        for command in self.engine.snapshot_commands():
            invocations = []
            for inv in list(command.invocations):
                ended = inv.ended_at if inv.ended_at is not None and inv.ended_at <= now else None
                started = inv.started_at if inv.started_at is not None and inv.started_at <= now else None
                invocations.append({"instance_id": inv.instance.id, "phase": inv.phase_at(now),
                                    "started_at": started, "ended_at": ended})
            commands.append({"command_id": command.id, "vendor": command.spec.vendor,
                             "requested_at": command.requested_at, "invocations": invocations})
        return json_response(200, {"now": now, "commands": commands})


class _Handler(BaseHTTPRequestHandler):
    server_version = "fleetsim"
    protocol_version = "HTTP/1.1"   # keep-alive, as the SDKs expect
    # Headers and body go out in separate writes; without TCP_NODELAY every keep-alive
    # response would wait ~40 ms for the client's delayed ACK.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # pylint: disable=invalid-name  # http.server naming
        self._serve()

    def do_POST(self) -> None:  # pylint: disable=invalid-name  # http.server naming
        self._serve()

    # Object Storage Service (oss.py) also takes PUT, DELETE and HEAD.
    def do_PUT(self) -> None:  # pylint: disable=invalid-name  # http.server naming
        self._serve()

    def do_DELETE(self) -> None:  # pylint: disable=invalid-name  # http.server naming
        self._serve()

    def do_HEAD(self) -> None:  # pylint: disable=invalid-name  # http.server naming
        self._serve()

    def _serve(self) -> None:
        sim: FleetSim = self.server.fleetsim  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(json_response(413, {"message": "request body too large"}))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, dict(self.headers.items()), body, self.client_address[0])
        vendor, response = sim.dispatch(request)
        if response.request_id == "-":
            response.request_id = str(uuid.uuid4())
        if vendor not in ("alibaba_ecs", "zenlayer_zos"):
            response.headers.setdefault("x-amzn-RequestId", response.request_id)
        # Log before answering: once a client has its answer, the line is in the log (a
        # shutdown right after cannot lose it).
        sim.log.write(vendor, response.operation, response.status, response.request_id)
        if response.hold_seconds:
            self._hold(response.hold_seconds)
            self._reset_connection()
            return
        if response.drop_connection:
            self._reset_connection()
            return
        try:
            self._send(response)
        except OSError:
            # The client gave up (its timeout passed while a fault held the answer): nothing to tell it.
            self.close_connection = True

    def _reset_connection(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a crashed proxy or a dropped NAT entry does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass

    def _hold(self, seconds: float) -> None:
        """Say nothing for ``seconds``, or until the client closes its side of the connection."""
        ends = time.monotonic() + seconds
        while (left := ends - time.monotonic()) > 0:
            try:
                readable = select.select([self.connection], [], [], min(1.0, left))[0]
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client gave up
            except ValueError:
                time.sleep(min(1.0, left))  # a TLS socket cannot peek: just wait
            except OSError:
                return
            else:
                if readable:
                    time.sleep(min(1.0, left))  # the client sent more; still no answer

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not response.trickle_seconds:
            self.wfile.write(response.body)
            return
        for index in range(len(response.body)):
            self.wfile.write(response.body[index:index + 1])
            self.wfile.flush()
            time.sleep(response.trickle_seconds)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Silence http.server's own access log; RequestLog writes ours."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sim: FleetSim, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(address, _Handler)
        self.fleetsim = sim
        self.tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            # The handshake runs in the request's own thread, so a client that refuses the
            # certificate (the TLS tests) cannot hold up the accept loop.
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                self.fleetsim.log.write("-", "TLSHandshakeFailed", 0, "-")
                return
        super().finish_request(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[0], self.server_address[1]
        return f"{'https' if self.tls is not None else 'http'}://{host}:{port}"
