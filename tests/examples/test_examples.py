# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every documented example runs as written, against fleetsim, and does what its page claims.

The examples are extracted from the pages (extract.py) and written to a scratch project
byte for byte. The harness adds only what the pages leave to the reader:

- the endpoint and credentials: through the environment (AWS_URL, the vendors' key variables) and,
  for a fragment of tasks that the harness wraps in a play, through ``module_defaults`` of the
  collection's action group, as getting_started.rst says to;
- a fixture per example id in fixtures.yml: the fleet fleetsim simulates, the commands the example
  refers to (``deploy.command_id``...) started before it, and what the page claims each task does;
- for a page that wakes on status events, the SQS queue it names, on a moto server that fleetsim
  fills as an EventBridge rule would (``sqs_events``).

A block the fixtures do not name fails as "no fixture", and so does a task of an example that its
fixture does not mention: a new example cannot slip in untested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import extract  # noqa: E402 pylint: disable=wrong-import-position

ACCESS_KEY = "AKIAFLEETSIM00000001"
SECRET_KEY = "fleetsim-secret-key-0000000000000000000000"
# Play keywords a block may consist of alone (a fragment to put into a play).
PLAY_KEYWORDS = {"module_defaults", "vars", "environment", "hosts", "gather_facts", "collections"}
# Install steps of CI files and pages: the harness stands for them with the working tree, linked
# into the scratch collections path. They are checked for shell syntax only.
INSTALL_LINE = re.compile(r"^\s*(pip3? install|python3? -m pip install|ansible-galaxy collection install)\b")
STEP_TIMEOUT = 600
# The scratch project's ansible.cfg (ansible-playbook reads the one in its working directory). Its
# main process checks for task results every internal_poll_interval seconds, 1 ms by default: about
# 5 % of a core for as long as an example waits. 10 ms changes nothing an example shows.
ANSIBLE_CFG = "[defaults]\ninternal_poll_interval = 0.01\n"
GROUP = "group/multicloud.invocations.invocations"

with open(os.path.join(HERE, "fixtures.yml"), encoding="utf-8") as _handle:
    FIXTURES = yaml.safe_load(_handle)
EXAMPLES = extract.all_examples(ROOT)


def test_every_fixture_names_an_example():
    """A fixture whose example was renamed or removed would otherwise hide a missing test."""
    ids = {example.id for example in EXAMPLES}
    stale = sorted(set(FIXTURES["examples"]) - ids)
    assert not stale, f"fixtures for examples that no page shows any more: {stale}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.id for example in EXAMPLES])
def test_example(example, tmp_path):
    fixture = FIXTURES["examples"].get(example.id)
    assert fixture is not None, (
        f"no fixture for the example at {example.path}:{example.line} ({example.id}); "
        "add one to tests/examples/fixtures.yml")
    if "not_run" in fixture:
        assert fixture["not_run"].strip(), "not_run needs a reason"
        _check_syntax(example, fixture)
        pytest.skip(f"not run: {fixture['not_run']}")
    runs = fixture["runs"] if "runs" in fixture else [fixture]
    for number, run in enumerate(runs, 1):
        workdir = tmp_path / f"run{number}"
        workdir.mkdir()
        Run(example, run, str(workdir)).execute()


def _check_syntax(example, fixture):
    if example.lang in ("yaml", "yaml+jinja"):
        yaml.safe_load(example.text)
    elif example.lang == "json":
        json.loads(example.text)
    elif example.lang in ("bash", "sh", "shell"):
        subprocess.run(["bash", "-n"], input=example.text, text=True, check=True)
    elif example.lang == "console":
        commands = "\n".join(_console_commands(example.text))
        subprocess.run(["bash", "-n"], input=commands, text=True, check=True)


def _console_commands(text):
    commands = []
    for line in text.splitlines():
        line = re.sub(r"^\$ ", "", line.strip())
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


class Run:
    """One run of one example in a scratch project, against its own fleetsim."""

    def __init__(self, example, fixture, workdir):
        self.example = example
        self.fixture = fixture
        self.workdir = workdir
        self.results_path = os.path.join(workdir, "results.jsonl")
        self.env = None

    # --- the scratch project -------------------------------------------------------------

    def _environment(self, url):
        collections = os.path.join(self.workdir, "collections")
        link = os.path.join(collections, "ansible_collections", "multicloud", "invocations")
        os.makedirs(os.path.dirname(link))
        os.symlink(ROOT, link)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("AWS_", "ALIBABA_CLOUD_", "ALICLOUD_", "ZENLAYER", "ANSIBLE_", "GITHUB_"))}
        env.update({
            "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
            "HOME": self.workdir,
            "ANSIBLE_COLLECTIONS_PATH": collections,
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "example_results",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.workdir, ".ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "EXAMPLE_RESULTS": self.results_path,
            # The endpoint and the credentials, where each provider looks for them.
            "AWS_URL": url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": ACCESS_KEY,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET_KEY,
            "ZENLAYERCLOUD_ACCESS_KEY_ID": ACCESS_KEY,
            "ZENLAYERCLOUD_ACCESS_KEY_PASSWORD": SECRET_KEY,
        })
        for key, value in (self.fixture.get("env") or {}).items():
            env[key] = str(value).replace("{workdir}", self.workdir)
        return env

    def _write(self, name, text):
        path = os.path.join(self.workdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def _write_page_files(self):
        """Blocks of the same page that name their file in a first-line comment (``# deploy/gate.yml``)."""
        for other in EXAMPLES:
            if other.path != self.example.path:
                continue
            first = other.text.splitlines()[0] if other.text.strip() else ""
            named = re.match(r"^#\s*([\w./-]+\.(?:ya?ml|sh))\s*$", first)
            if named:
                self._write(named.group(1), other.text)

    def _connection(self, url):
        return {"endpoint_url": url, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}

    def _setup_play(self, url):
        """Starts the commands the example refers to and registers them under the example's names."""
        tasks = []
        for name, args in (self.fixture.get("setup") or {}).items():
            args = dict(args)
            wait = args.pop("wait_until_done", False)
            args.update(self._connection(url))
            if wait:
                args.update({"wait": True, "fail_on_failure": False})
            tasks.append({"name": f"fixture: start {name}", "multicloud.invocations.invocation_run": args,
                          "register": name})
        return {"name": "fixture", "hosts": "localhost", "gather_facts": False, "tasks": tasks}

    # --- running ---------------------------------------------------------------------------

    def execute(self):
        fleet = FIXTURES["fleets"][self.fixture["fleet"]]
        fleet_path = self._write("fleet.yml", yaml.safe_dump(fleet))
        with Fleetsim(fleet_path, self.workdir) as url, SqsEvents(self.fixture.get("sqs_events"), url) as sqs_url:
            self.env = self._environment(url)
            if sqs_url:
                # Where the reader's SQS is: boto3 reads the service's own endpoint variable.
                self.env["AWS_ENDPOINT_URL_SQS"] = sqs_url
            self._write("ansible.cfg", ANSIBLE_CFG)
            self._write_page_files()
            for name in self.fixture.get("mkdirs") or []:
                os.makedirs(os.path.join(self.workdir, name), exist_ok=True)
            kind = self.fixture.get("as") or self._kind()
            getattr(self, f"_run_{kind}")(url)

    def _kind(self):
        if self.example.lang in ("bash", "sh", "shell"):
            return "shell"
        if self.example.lang == "python":
            return "python"
        data = yaml.safe_load(self.example.text)
        if isinstance(data, list) and data and all(isinstance(item, dict) and "hosts" in item for item in data):
            return "playbook"
        if isinstance(data, list):
            return "tasks"
        if isinstance(data, dict) and "jobs" in data:
            return "github_actions"
        if isinstance(data, dict) and set(data) <= PLAY_KEYWORDS:
            return "play_keywords"
        raise AssertionError(f"{self.example.id}: cannot tell what this block is; set `as:` in its fixture")

    def _playbook(self, url, example_file):
        """A playbook of the fixture's setup play, then the example's file imported as written."""
        self._write("setup.yml", yaml.safe_dump([self._setup_play(url)], sort_keys=False))
        plays = [{"import_playbook": "setup.yml"}, {"import_playbook": example_file}]
        return self._write("run.yml", yaml.safe_dump(plays, sort_keys=False))

    def _ansible_playbook(self, playbook, expected_rc):
        args = ["ansible-playbook", playbook] + list(self.fixture.get("ansible_args") or [])
        for key, value in (self.fixture.get("extra_vars") or {}).items():
            args += ["-e", f"{key}={value}"]
        self._call(args, expected_rc)

    def _call(self, args, expected_rc, shell=False):
        proc = subprocess.run(args, cwd=self.workdir, env=self.env, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT, shell=shell, executable="/bin/bash" if shell else None,
                              check=False)
        output = (proc.stdout + proc.stderr)[-6000:]
        assert proc.returncode == expected_rc, (
            f"{self.example.id}: {args if not shell else 'the commands'} exited {proc.returncode}, "
            f"the page claims {expected_rc}:\n{output}")
        return proc

    def _run_playbook(self, url):
        self._write("example.yml", self.example.text)
        self._ansible_playbook(self._playbook(url, "example.yml"), self._expected_rc(2))
        self._check_tasks(_task_names(yaml.safe_load(self.example.text), playbook=True))

    def _run_tasks(self, url):
        self._write("example_tasks.yml", self.example.text)
        play = self._wrapper_play(url, [{"ansible.builtin.import_tasks": "example_tasks.yml"}])
        if self.fixture.get("vars"):
            play["vars"] = self.fixture["vars"]
        self._write("example.yml", yaml.safe_dump([play], sort_keys=False))
        self._ansible_playbook(self._playbook(url, "example.yml"), self._expected_rc(0))
        self._check_tasks(_task_names(yaml.safe_load(self.example.text), playbook=False))

    def _page_defaults(self):
        """The collection group's module_defaults that a block of the same page sets, for its fragments."""
        defaults = {}
        for other in EXAMPLES:
            if other.path != self.example.path or other.lang not in ("yaml", "yaml+jinja"):
                continue
            data = yaml.safe_load(other.text)
            if isinstance(data, dict) and set(data) <= PLAY_KEYWORDS:
                defaults.update((data.get("module_defaults") or {}).get(GROUP) or {})
        return defaults

    def _wrapper_play(self, url, tasks, **keywords):
        # A fragment's tasks each claim something on their own: the play goes on after a failure,
        # so every task's outcome is checked (ignore_errors is the harness's, not the example's).
        # Its module_defaults: what the page says to set there, plus the endpoint and credentials.
        defaults = dict(self._page_defaults(), **self._connection(url))
        play = {"name": "example", "hosts": "localhost", "gather_facts": False, "ignore_errors": True,
                "module_defaults": {GROUP: defaults}}
        play.update(keywords)
        play["tasks"] = tasks
        return play

    def _run_vars(self, url):
        self._write("example_vars.yml", self.example.text)
        names = list(yaml.safe_load(self.example.text))
        tasks = [{"name": f"example var {name}", "ansible.builtin.debug": {"var": name}} for name in names]
        play = self._wrapper_play(url, tasks, vars_files=["example_vars.yml"])
        if self.fixture.get("vars"):
            play["vars"] = self.fixture["vars"]
        self._write("example.yml", yaml.safe_dump([play], sort_keys=False))
        self._ansible_playbook(self._playbook(url, "example.yml"), self._expected_rc(0))
        self._check_tasks([f"example var {name}" for name in names])

    def _run_play_keywords(self, url):
        keywords = yaml.safe_load(self.example.text)
        play = {"name": "example", "hosts": "localhost", "gather_facts": False}
        play.update(keywords)
        play["tasks"] = [{"name": "example probe", "multicloud.invocations.invocation_info": self.fixture["probe"]}]
        self._write("example.yml", yaml.safe_dump([play], sort_keys=False))
        self._ansible_playbook(self._playbook(url, "example.yml"), self._expected_rc(0))
        self._check_tasks(["example probe"])

    def _run_shell(self, url):
        self._call(self.example.text, self.fixture.get("rc", 0), shell=True)
        self._check_tasks([])

    def _run_python(self, url):
        prelude = self.fixture["prelude"].replace("{url}", url)
        script = self._write("example.py", prelude + "\n" + self.example.text + "\n" + self.fixture.get("after", ""))
        self._call([sys.executable, script], self.fixture.get("rc", 0))

    def _run_github_actions(self, url):
        workflow = yaml.safe_load(self.example.text)
        runner_temp = os.path.join(self.workdir, "runner-temp")
        os.makedirs(runner_temp)
        ran = 0
        for job in workflow["jobs"].values():
            job_env = {k: _github_expr(str(v), runner_temp) for k, v in (job.get("env") or {}).items()}
            for step in job["steps"]:
                if "run" not in step:
                    assert "uses" in step, f"a step with neither run nor uses: {step}"
                    continue
                script = _github_expr(step["run"], runner_temp)
                if "ansible-playbook" not in script:
                    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
                    continue
                self.env.update(job_env)
                self._call(["bash", "-e", "-o", "pipefail", "-c", script], self.fixture.get("rc", 0))
                ran += 1
        assert ran, f"{self.example.id}: no step runs ansible-playbook"
        self._check_tasks([])
        self._check_files(runner_temp)

    def _run_gitlab_ci(self, url):
        pipeline = yaml.safe_load(self.example.text)
        ran = 0
        for name, job in pipeline.items():
            if not isinstance(job, dict) or "script" not in job:
                continue
            self.env["CI_PROJECT_DIR"] = self.workdir
            for key, value in (job.get("variables") or {}).items():
                self.env[key] = _expand(str(value), self.env)
            lines = list(job.get("before_script") or []) + list(job.get("script") or [])
            commands = []
            for line in lines:
                if INSTALL_LINE.match(line):
                    subprocess.run(["bash", "-n"], input=line, text=True, check=True)
                else:
                    commands.append(line)
            assert any("ansible-playbook" in line for line in commands), f"job {name} runs no playbook"
            self._call(["bash", "-e", "-c", "\n".join(commands)], self.fixture.get("rc", 0))
            ran += 1
        assert ran, f"{self.example.id}: no job with a script"
        self._check_tasks([])
        self._check_files(self.workdir)

    def _run_ee(self, url):
        definition = yaml.safe_load(self.example.text)
        assert definition["version"] == 3, definition
        self._write("execution-environment.yml", self.example.text)
        self._call(["ansible-builder", "create", "-f", "execution-environment.yml", "-c", "context"], 0)

    # --- checks ----------------------------------------------------------------------------

    def _expected_rc(self, on_failure):
        if "rc" in self.fixture:
            return self.fixture["rc"]
        failing = [name for name, claim in (self.fixture.get("expect") or {}).items()
                   if _claim(claim)["status"] == "failed"]
        return on_failure if failing and on_failure == 2 else 0

    def _results(self):
        if not os.path.exists(self.results_path):
            return {}
        results = {}
        with open(self.results_path, encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                results[entry["task"]] = entry
        return results

    def _check_tasks(self, own_tasks):
        expect = self.fixture.get("expect") or {}
        unclaimed = [name for name in own_tasks if name not in expect]
        assert not unclaimed, f"{self.example.id}: no fixture for the tasks {unclaimed} (add them to `expect`)"
        results = self._results()
        for name, claim in expect.items():
            claim = _claim(claim)
            entry = results.get(name)
            if claim["status"] == "not_run":
                assert entry is None, f"{self.example.id}: task {name!r} ran: {entry}"
                continue
            assert entry is not None, f"{self.example.id}: task {name!r} did not run (ran: {sorted(results)})"
            shown = json.dumps(entry["result"], default=str)[:3000]
            assert entry["status"] == claim["status"], (
                f"{self.example.id}: task {name!r} is {entry['status']}, the page claims {claim['status']}: {shown}")
            for path, want in (claim.get("result") or {}).items():
                got = _dig(entry["result"], path)
                assert got == want, f"{self.example.id}: task {name!r}: {path} is {got!r}, expected {want!r}: {shown}"
            for path, needle in (claim.get("contains") or {}).items():
                got = str(_dig(entry["result"], path))
                assert needle in got, f"{self.example.id}: task {name!r}: {path} {got!r} lacks {needle!r}"
            for path, needle in (claim.get("lacks") or {}).items():
                got = str(_dig(entry["result"], path))
                assert needle not in got, f"{self.example.id}: task {name!r}: {path} {got!r} has {needle!r}"

    def _check_files(self, base):
        for name, claim in (self.fixture.get("files") or {}).items():
            path = os.path.join(base, name)
            assert os.path.exists(path), f"{self.example.id}: {name} was not written"
            if "json" in claim:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
                for key, want in claim["json"].items():
                    assert _dig(data, key) == want, f"{self.example.id}: {name}: {key} is {_dig(data, key)!r}, not {want!r}"


def _claim(claim):
    return {"status": claim} if isinstance(claim, str) else claim


def _dig(value, path):
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _task_names(data, playbook):
    plays = data if playbook else [{"tasks": data}]
    names = []
    for play in plays:
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task in play.get(section) or []:
                names += _names_in(task)
    return names


def _names_in(task):
    if "block" in task:
        return [n for section in ("block", "rescue", "always") for t in task.get(section) or [] for n in _names_in(t)]
    return [task["name"]] if "name" in task else []


def _github_expr(text, runner_temp):
    """The one GitHub expression the pages use in a run step or env: ${{ runner.temp }}."""
    return re.sub(r"\$\{\{\s*runner\.temp\s*\}\}", runner_temp, text)


def _expand(text, env):
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), text)


class SqsEvents:
    """For a page that reads status events (fixture ``sqs_events: {queue_url, region, patterns}``): a moto SQS
    server holding the page's queue, fleetsim playing the EventBridge rule that fills it. Nothing
    without the fixture key."""

    def __init__(self, plan, fleetsim_url):
        self.plan = plan
        self.fleetsim_url = fleetsim_url
        self.server = None

    def __enter__(self):
        if not self.plan:
            return None
        import boto3  # pylint: disable=import-outside-toplevel  # only pages about events need them
        from moto.server import ThreadedMotoServer  # pylint: disable=import-outside-toplevel
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        url = f"http://{host}:{port}"
        sqs = boto3.client("sqs", endpoint_url=url, region_name=self.plan["region"], aws_access_key_id=ACCESS_KEY,
                           aws_secret_access_key=SECRET_KEY)
        sqs.create_queue(QueueName=self.plan["queue_url"].rstrip("/").rsplit("/", 1)[-1])
        # patterns: the page's EventBridge rules (fleetsim sends only the events they match).
        body = json.dumps({"queue_url": self.plan["queue_url"], "endpoint_url": url, "patterns": self.plan.get("patterns")}).encode()
        request = urllib.request.Request(f"{self.fleetsim_url}/_fleetsim/events", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        return url

    def __exit__(self, *exc):
        if self.server is not None:
            self.server.stop()


class Fleetsim:
    """fleetsim on a free loopback port, in virtual mode (outcomes come from the fleet file)."""

    def __init__(self, fleet_path, workdir):
        self.fleet_path = fleet_path
        self.workdir = workdir
        self.proc = None

    def __enter__(self):
        url_file = os.path.join(self.workdir, "fleetsim.url")
        log = open(os.path.join(self.workdir, "fleetsim.log"), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        fleetsim = os.path.join(os.path.dirname(sys.executable), "fleetsim")
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [fleetsim, "serve", "--host", "127.0.0.1", "--port", "0", "--mode", "virtual",
             "--fleet", self.fleet_path, "--url-file", url_file], stdout=log, stderr=log)
        log.close()
        for _attempt in range(200):
            if os.path.exists(url_file) and os.path.getsize(url_file):
                with open(url_file, encoding="utf-8") as handle:
                    return handle.read()
            assert self.proc.poll() is None, "fleetsim did not start: " + _tail(os.path.join(self.workdir, "fleetsim.log"))
            time.sleep(0.05)
        raise AssertionError("fleetsim did not report its URL within 10 seconds")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _tail(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()[-2000:]
