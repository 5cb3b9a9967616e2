# Multi-step SSM Command documents: one process per invocation, one outcome per step.
#
# A Command document (schema 2.2) lists `mainSteps`; the agent runs them one after another on the
# instance and reports each as its own CommandPlugin (Name, Status, ResponseCode, Output, start and
# finish times) in ListCommandInvocations(Details=true); the invocation fails when a step fails.
# GetCommandInvocation needs PluginName for such a document. fleetsim runs the steps in one shell
# process: each step runs in a subshell, and a marker line after it (on stdout and on stderr)
# carries its exit code and end time, so the front-end can split the outcome per step. A failed
# step does not stop the next (no `onFailure` / `isEnd` is modelled).
from __future__ import annotations

import re
from dataclasses import dataclass

# Custom documents that exist in the simulated account: name -> (platform, steps), each step
# (name, the document parameter that holds its commands). The parameters are the document's own.
MULTI_STEP_DOCUMENTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "Fleetsim-DeployAndVerify": ("Linux", (("deploy", "commands"), ("verify", "verifyCommands"))),
}
MULTI_STEP_PARAMETERS = {"commands", "verifyCommands", "executionTimeout", "workingDirectory"}

MARKER = "##fleetsim-step-end##"
MARKER_RE = re.compile(r"^" + re.escape(MARKER) + r" (\d+) (-?\d+) ([0-9.]+)$", re.MULTILINE)


def step_names(document: str) -> list[str]:
    return [name for name, _parameter in MULTI_STEP_DOCUMENTS[document][1]]


def script(document: str, parameters: dict[str, list[str]]) -> list[str]:
    """The shell lines that run every step of the document in order, each followed by its marker."""
    lines = ["__fleetsim_rc=0"]
    for position, (_name, parameter) in enumerate(MULTI_STEP_DOCUMENTS[document][1]):
        lines.append("(")
        lines.extend(parameters.get(parameter) or [":"])
        lines.append(")")
        lines.append("__fleetsim_step_rc=$?")
        lines.append(f'__fleetsim_marker="{MARKER} {position} $__fleetsim_step_rc $(date +%s.%N)"')
        lines.append('printf "\\n%s\\n" "$__fleetsim_marker"; printf "\\n%s\\n" "$__fleetsim_marker" >&2')
        lines.append('[ "$__fleetsim_step_rc" -ne 0 ] && __fleetsim_rc=$__fleetsim_step_rc')
    lines.append("exit $__fleetsim_rc")
    return lines


@dataclass
class StepOutcome:
    name: str
    exit_code: int | None    # None: the step had not ended when the process did (killed, or never ran)
    ended_at: float | None
    stdout: str
    stderr: str


def _split(text: str) -> tuple[dict[int, tuple[int, float, str]], str]:
    """{position: (exit code, end time, text before the marker)} and the text after the last marker."""
    parts: dict[int, tuple[int, float, str]] = {}
    start = 0
    for match in MARKER_RE.finditer(text):
        chunk = text[start:match.start()]
        parts[int(match.group(1))] = (int(match.group(2)), float(match.group(3)), chunk.strip("\n"))
        start = match.end()
    return parts, text[start:].strip("\n")


def outcomes(document: str, stdout: str, stderr: str) -> list[StepOutcome]:
    """Each step's exit code, end time and output, from a finished process's streams."""
    out_parts, out_rest = _split(stdout)
    err_parts, err_rest = _split(stderr)
    result = []
    rest_used = False
    for position, name in enumerate(step_names(document)):
        if position in out_parts:
            code, ended, out = out_parts[position]
            err = err_parts.get(position, (code, ended, ""))[2]
            result.append(StepOutcome(name, code, ended, out, err))
        else:
            # The step that was running when the process ended keeps what it printed; later ones ran not.
            out, err = ("", "") if rest_used else (out_rest, err_rest)
            rest_used = True
            result.append(StepOutcome(name, None, None, out, err))
    return result


def virtual_outcomes(document: str, exit_code: int | None, stdout: str, stderr: str) -> list[StepOutcome]:
    """Virtual mode has one outcome per invocation: every step but the last succeeds, the last has it."""
    names = step_names(document)
    result = [StepOutcome(name, 0, None, "", "") for name in names[:-1]]
    result.append(StepOutcome(names[-1], exit_code, None, stdout, stderr))
    return result
