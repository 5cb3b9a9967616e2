# The command line, run as a real subprocess.
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY


def start(args, tmp_path, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "fleetsim", "serve", "--port", "0", *args],  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, **kwargs)


def test_serve_prints_url_writes_url_file_and_stops(tmp_path):
    url_file = tmp_path / "url"
    log_file = tmp_path / "requests.log"
    workdir = tmp_path / "work"
    fleet = tmp_path / "fleet.yml"
    fleet.write_text("instances:\n  - name: web-1\n    tags: {role: web}\n  - count: 2\n    name_prefix: bulk-\n")
    proc = start(["--instances", "2", "--fleet", str(fleet), "--url-file", str(url_file), "--log-file", str(log_file),
                  "--workdir", str(workdir)], tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.startswith("fleetsim listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        deadline = time.monotonic() + 5
        while not url_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert url_file.read_text() == url
        with urllib.request.urlopen(url + "/_fleetsim/instances", timeout=5) as response:
            names = [i["name"] for i in json.loads(response.read())["instances"]]
        assert names == ["node-001", "node-002", "web-1", "bulk-001", "bulk-002"]
        ssm = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id=DEFAULT_ACCESS_KEY,
                           aws_secret_access_key=DEFAULT_SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))
        assert ssm.list_commands()["Commands"] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and out == ""
    log = log_file.read_text()
    assert " aws_ssm ListCommands 200 " in log and DEFAULT_SECRET_KEY not in log and "Authorization" not in log
    assert DEFAULT_SECRET_KEY not in err
    assert workdir.is_dir() and sorted(os.listdir(workdir))   # user's workdir is kept


def test_bad_fleet_file_is_one_line_error(tmp_path):
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"instances": [{"name": "x", "platform": "Solaris"}]}))
    proc = start(["--fleet", str(fleet)], tmp_path)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 2 and out == ""
    assert err.strip().count("\n") == 0 and "platform must be one of Linux, Windows" in err and "Traceback" not in err


def test_sigterm_kills_running_commands_and_removes_temp_workdir(tmp_path):
    proc = start(["--instances", "1", "--log-file", os.devnull], tmp_path)
    try:
        url = proc.stdout.readline().split(" on ", 1)[1].strip()
        with urllib.request.urlopen(url + "/_fleetsim/instances", timeout=5) as response:
            iid = json.loads(response.read())["instances"][0]["id"]
        ssm = boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id=DEFAULT_ACCESS_KEY,
                           aws_secret_access_key=DEFAULT_SECRET_KEY, config=Config(retries={"total_max_attempts": 1}))
        pid_file = tmp_path / "child.pid"
        ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[iid],
                         Parameters={"commands": [f"echo $$ > {pid_file}; echo $PWD > {pid_file}.cwd", "sleep 60"]})
        deadline = time.monotonic() + 5
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        instance_dir = (tmp_path / "child.pid.cwd").read_text().strip()
        assert os.path.isdir(instance_dir)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert not os.path.exists(os.path.dirname(instance_dir))


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False
