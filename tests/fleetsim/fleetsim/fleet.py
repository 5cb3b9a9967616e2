# Fleet definition: deterministic instance ids, --instances K, and fleet files (.json/.yml).
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

from fleetsim.engine import AGENT_ONLINE, AGENT_STATES, Instance

INSTANCE_ID_RE = re.compile(r"^(i-(\w{8}|\w{17})|mi-\w{17})$")
PLATFORMS = ("Linux", "Windows")
ALIBABA_ID_RE = re.compile(r"^i-[a-z0-9]{8,30}$")
ZENLAYER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
STATES = ("running", "stopped", "terminated")
INSTANCE_KEYS = {"id", "alibaba_id", "zenlayer_id", "name", "platform", "online", "state", "tags", "files", "virtual", "undeliverable_after",
                 "unlisted", "agent"}
GROUP_KEYS = (INSTANCE_KEYS - {"id", "alibaba_id", "zenlayer_id", "name"}) | {"count", "name_prefix"}
VIRTUAL_KEYS = {"duration", "exit_code", "stdout", "stderr", "failure_rate"}


class FleetError(ValueError):
    """A fleet file or option is invalid; the message is one line meant for the user."""


def instance_id(seed: int, index: int) -> str:
    """`i-0` + 16 lowercase hex digits, a pure function of (seed, index)."""
    digest = hashlib.sha256(f"fleetsim:{seed}:{index}".encode()).hexdigest()
    return "i-0" + digest[:16]


# Top-level keys of a fleet file besides `instances`: seconds a new command stays invisible to every
# read (the same setting as --visibility-delay and POST /_fleetsim/config).
FILE_SETTINGS = ("visibility_delay",)


class FleetBuilder:
    """Collects instances from several sources, numbering them globally so ids stay unique."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.instances: list[Instance] = []
        self._ids: set[str] = set()
        self._alibaba_ids: set[str] = set()
        self._zenlayer_ids: set[str] = set()
        # Server settings a fleet file may carry besides its instances (FILE_SETTINGS).
        self.settings: dict[str, float] = {}

    def _next_index(self) -> int:
        return len(self.instances)

    def add(self, inst: Instance) -> None:
        if inst.id in self._ids:
            raise FleetError(f"duplicate instance id {inst.id}")
        if inst.alibaba_id in self._alibaba_ids:
            raise FleetError(f"duplicate alibaba_id {inst.alibaba_id}")
        if inst.zenlayer_id in self._zenlayer_ids:
            raise FleetError(f"duplicate zenlayer_id {inst.zenlayer_id}")
        self._ids.add(inst.id)
        self._alibaba_ids.add(inst.alibaba_id)
        self._zenlayer_ids.add(inst.zenlayer_id)
        self.instances.append(inst)

    def add_generic(self, count: int) -> None:
        for number in range(1, count + 1):
            index = self._next_index()
            self.add(Instance(id=instance_id(self.seed, index), name=f"node-{number:03d}",
                              tags={"Name": f"node-{number:03d}"}, index=index))

    def add_file(self, path: str) -> None:
        data = _read_fleet_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("instances"), list):
            raise FleetError(f"{path}: expected a mapping with an 'instances' list")
        _check_keys(data, {"instances"} | set(FILE_SETTINGS), path)
        for key in FILE_SETTINGS:
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise FleetError(f"{path}: {key} must be a number of seconds, 0 or more")
                self.settings[key] = float(value)
        for position, entry in enumerate(data["instances"], start=1):
            where = f"{path}: instances[{position}]"
            if not isinstance(entry, dict):
                raise FleetError(f"{where}: expected a mapping")
            if "count" in entry:
                self._add_group(entry, where)
            else:
                self._add_entry(entry, where)

    def _add_group(self, entry: dict[str, Any], where: str) -> None:
        _check_keys(entry, GROUP_KEYS, where)
        count = entry["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise FleetError(f"{where}: count must be a positive integer")
        prefix = entry.get("name_prefix", "node-")
        if not isinstance(prefix, str):
            raise FleetError(f"{where}: name_prefix must be a string")
        for number in range(1, count + 1):
            index = self._next_index()
            name = f"{prefix}{number:03d}"
            self.add(_build(entry, where, instance_id(self.seed, index), name, index))

    def _add_entry(self, entry: dict[str, Any], where: str) -> None:
        _check_keys(entry, INSTANCE_KEYS, where)
        index = self._next_index()
        inst_id = entry.get("id", instance_id(self.seed, index))
        if not isinstance(inst_id, str) or not INSTANCE_ID_RE.match(inst_id):
            raise FleetError(f"{where}: invalid instance id {inst_id!r} (expected i- and 8 or 17 characters)")
        name = entry.get("name", f"node-{index + 1:03d}")
        if not isinstance(name, str) or not name:
            raise FleetError(f"{where}: name must be a non-empty string")
        inst = _build(entry, where, inst_id, name, index)
        if "alibaba_id" in entry:
            alibaba_id = entry["alibaba_id"]
            if not isinstance(alibaba_id, str) or not ALIBABA_ID_RE.match(alibaba_id):
                raise FleetError(f"{where}: invalid alibaba_id {alibaba_id!r} (expected i- and 8 to 30 lowercase letters or digits)")
            inst.alibaba_id = alibaba_id
        if "zenlayer_id" in entry:
            zenlayer_id = entry["zenlayer_id"]
            if not isinstance(zenlayer_id, str) or not ZENLAYER_ID_RE.match(zenlayer_id):
                raise FleetError(f"{where}: invalid zenlayer_id {zenlayer_id!r} (expected 1 to 64 letters, digits, '-' or '_')")
            inst.zenlayer_id = zenlayer_id
        self.add(inst)


def _build(entry: dict[str, Any], where: str, inst_id: str, name: str, index: int) -> Instance:
    platform = entry.get("platform", "Linux")
    if platform not in PLATFORMS:
        raise FleetError(f"{where}: platform must be one of {', '.join(PLATFORMS)}")
    state = entry.get("state", "running")
    if state not in STATES:
        raise FleetError(f"{where}: state must be one of {', '.join(STATES)}")
    online = entry.get("online", True)
    if not isinstance(online, bool):
        raise FleetError(f"{where}: online must be true or false")
    agent = _agent(entry, online, where)
    tags = _string_map(entry.get("tags", {}), where, "tags")
    tags.setdefault("Name", name)
    files = _string_map(entry.get("files", {}), where, "files")
    for rel in files:
        if os.path.isabs(rel) or ".." in rel.replace("\\", "/").split("/"):
            raise FleetError(f"{where}: file path {rel!r} must be relative and stay inside the instance")
    virtual = entry.get("virtual", {})
    if not isinstance(virtual, dict):
        raise FleetError(f"{where}: virtual must be a mapping")
    _check_keys(virtual, VIRTUAL_KEYS, f"{where}.virtual")
    _check_virtual(virtual, where)
    after = entry.get("undeliverable_after", 2.0)
    if not isinstance(after, (int, float)) or isinstance(after, bool) or after < 0:
        raise FleetError(f"{where}: undeliverable_after must be a non-negative number")
    unlisted = entry.get("unlisted", False)
    if not isinstance(unlisted, bool):
        raise FleetError(f"{where}: unlisted must be true or false")
    return Instance(id=inst_id, name=name, platform=platform, online=online and agent in ("", AGENT_ONLINE), state=state, tags=tags,
                    files=files, virtual=dict(virtual), undeliverable_after=float(after), index=index, unlisted=unlisted, agent=agent)


def _agent(entry: dict[str, Any], online: bool, where: str) -> str:
    """The agent's state: `agent` when given (it must agree with `online`), else from `online`."""
    if "agent" not in entry:
        return ""   # the Instance derives it from online
    agent = entry["agent"]
    if agent not in AGENT_STATES:
        raise FleetError(f"{where}: agent must be one of {', '.join(AGENT_STATES)}")
    if "online" in entry and online != (agent == AGENT_ONLINE):
        raise FleetError(f"{where}: online: {str(online).lower()} contradicts agent: {agent} (give only agent)")
    return agent


def _check_virtual(virtual: dict[str, Any], where: str) -> None:
    duration = virtual.get("duration", 1.0)
    values = duration if isinstance(duration, list) else [duration]
    if (isinstance(duration, list) and len(duration) != 2) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values):
        raise FleetError(f"{where}: virtual.duration must be a number or [low, high]")
    if not isinstance(virtual.get("exit_code", 0), int):
        raise FleetError(f"{where}: virtual.exit_code must be an integer")
    rate = virtual.get("failure_rate", 0.0)
    if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise FleetError(f"{where}: virtual.failure_rate must be between 0 and 1")


def _check_keys(entry: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise FleetError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")


def _string_map(value: Any, where: str, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise FleetError(f"{where}: {what} must be a mapping")
    return {str(k): str(v) for k, v in value.items()}


def _read_fleet_file(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise FleetError(f"{path}: cannot read fleet file ({exc.strerror})") from exc
    if path.endswith((".yml", ".yaml")):
        try:
            import yaml  # pylint: disable=import-outside-toplevel  # optional dependency
        except ImportError as exc:
            raise FleetError(f"{path}: PyYAML is needed for YAML fleet files (or use .json)") from exc
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FleetError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FleetError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc


def load_fleet(count: int = 0, fleet_file: str | None = None, seed: int = 0) -> tuple[list[Instance], dict[str, float]]:
    """The instances, and the server settings the fleet file gives (FILE_SETTINGS)."""
    builder = FleetBuilder(seed)
    if count < 0:
        raise FleetError("--instances must not be negative")
    builder.add_generic(count)
    if fleet_file:
        builder.add_file(fleet_file)
    return builder.instances, builder.settings


def build_fleet(count: int = 0, fleet_file: str | None = None, seed: int = 0) -> list[Instance]:
    return load_fleet(count, fleet_file, seed)[0]
