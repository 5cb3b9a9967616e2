# Executors: how an invocation actually runs.  RealExecutor starts a local process per
# invocation; VirtualExecutor only draws an outcome (duration, exit code, output) so that
# fleets of thousands cost no processes at all.
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

# Output kept per stream.  Vendor APIs show far less (SSM: 24,000 / 8,000 characters), but SSM's
# delivery to S3 carries the complete output, so fleetsim keeps enough for tests of that (a
# 100,000-character output) and front-ends truncate the way their vendor does.
KEEP_CHARS = 256_000
MINIMAL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Outcome:
    duration: float
    exit_code: int
    stdout: str = ""
    stderr: str = ""


def _tag_env_name(key: str) -> str:
    return "FLEETSIM_TAG_" + re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def write_instance_files(instances: list[Any], root: str) -> None:
    """Give every instance its own directory under `root` and (re)write its seed files."""
    for inst in instances:
        inst.workdir = os.path.join(root, inst.id)
        os.makedirs(inst.workdir, exist_ok=True)
        for rel, content in inst.files.items():
            path = os.path.normpath(os.path.join(inst.workdir, rel))
            if not path.startswith(inst.workdir + os.sep):
                continue   # fleet loading rejects these; never write outside the instance
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)


@dataclass
class Process:
    """A started invocation process and where its output goes."""

    popen: subprocess.Popen | None
    stdout_path: str
    stderr_path: str
    early_exit: int | None = None     # set when the process could not even be started
    early_stderr: str = ""


class RealExecutor:
    """Runs each invocation as `bash script` (or /bin/sh) in its own process group.

    Output goes to files rather than pipes: no reader thread per process is needed, and a
    chatty process can never block on a full pipe.  One ticker thread polls all processes."""

    lazy = False

    def __init__(self, root: str) -> None:
        self.root = root
        self.shell = shutil.which("bash") or "/bin/sh"
        self._groups: set[int] = set()

    def prepare(self, instances: list[Any]) -> None:
        write_instance_files(instances, self.root)

    def start(self, inv: Any) -> Process:
        inst, command = inv.instance, inv.command
        run_dir = os.path.join(inst.workdir, ".fleetsim", command.id)
        os.makedirs(run_dir, exist_ok=True)
        script = os.path.join(run_dir, "_script.sh")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write("\n".join(command.spec.script) + "\n")
        out_path = os.path.join(run_dir, "stdout")
        err_path = os.path.join(run_dir, "stderr")
        cwd = inst.workdir
        if command.spec.working_directory:
            cwd = os.path.join(inst.workdir, command.spec.working_directory)
        if not os.path.isdir(cwd):
            # The SSM agent fails such an invocation before running anything.
            return Process(None, out_path, err_path, early_exit=1,
                           early_stderr=f"Invalid workingDirectory {command.spec.working_directory!r}\n")
        env = {"PATH": MINIMAL_PATH, "HOME": inst.workdir, "LANG": "C.UTF-8",
               "FLEETSIM_INSTANCE_ID": inst.id, "FLEETSIM_INSTANCE_NAME": inst.name,
               "FLEETSIM_COMMAND_ID": command.id}
        for key, value in inst.tags.items():
            env[_tag_env_name(key)] = str(value)
        try:
            with open(out_path, "wb") as out, open(err_path, "wb") as err:
                popen = subprocess.Popen(  # pylint: disable=consider-using-with  # reaped by poll()
                    [self.shell, script], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=err, start_new_session=True)
        except OSError as exc:
            # e.g. out of processes or file descriptors: the invocation fails, the server lives on
            return Process(None, out_path, err_path, early_exit=1, early_stderr=f"failed to start: {exc}\n")
        self._groups.add(popen.pid)
        return Process(popen, out_path, err_path)

    @staticmethod
    def poll(proc: Process) -> int | None:
        if proc.popen is None:
            return proc.early_exit
        code = proc.popen.poll()
        if code is not None and code < 0:
            code = 128 - code   # killed by a signal: report it the way a shell would
        return code

    def kill(self, proc: Process | None) -> None:
        if proc is None or proc.popen is None:
            return
        self._killpg(proc.popen.pid)
        try:
            proc.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass

    def kill_leftovers(self) -> None:
        """Kill every process group we ever started (background children included)."""
        for pgid in list(self._groups):
            self._killpg(pgid)
        self._groups.clear()

    @staticmethod
    def _killpg(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def collect(proc: Process) -> tuple[str, str]:
        if proc.popen is None:
            return "", proc.early_stderr
        return _read_capped(proc.stdout_path), _read_capped(proc.stderr_path)

    @staticmethod
    def outcome(inv: Any) -> Outcome:
        raise NotImplementedError(f"real executor has no planned outcome for {inv!r}")


def _read_capped(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(KEEP_CHARS * 4)   # at most 4 bytes per UTF-8 character
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")[:KEEP_CHARS]


class VirtualExecutor:
    """Draws outcomes from each instance's `virtual` spec with a seeded RNG.

    The RNG is seeded per (seed, command sequence number, instance index), so a run is
    reproducible whatever order outcomes are drawn in."""

    lazy = True

    def __init__(self, root: str, seed: int = 0) -> None:
        self.root = root
        self.seed = seed

    def prepare(self, instances: list[Any]) -> None:
        # Nothing runs, so only instances that declare files get a directory; 10,000
        # empty directories would just slow start-up and reset down.
        write_instance_files([inst for inst in instances if inst.files], self.root)

    def outcome(self, inv: Any) -> Outcome:
        spec = inv.instance.virtual or {}
        rng = random.Random(f"{self.seed}:{inv.command.seq}:{inv.instance.index}")
        duration = _draw(rng, spec.get("duration", 1.0))
        exit_code = int(spec.get("exit_code", 0))
        stdout = str(spec.get("stdout", "ok"))
        stderr = str(spec.get("stderr", ""))
        if exit_code == 0 and rng.random() < float(spec.get("failure_rate", 0.0)):
            exit_code = 1
            stderr = stderr or "simulated failure"
        return Outcome(duration, exit_code, stdout, stderr)

    @staticmethod
    def kill(proc: Any) -> None:
        del proc

    @staticmethod
    def kill_leftovers() -> None:
        return None


def _draw(rng: random.Random, value: Any) -> float:
    """A number, or a [low, high] range drawn uniformly."""
    if isinstance(value, (list, tuple)):
        return rng.uniform(float(value[0]), float(value[1]))
    return float(value)
