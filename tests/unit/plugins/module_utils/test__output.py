# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""output_limit keeps head and tail of each stream and counts the rest; output_dir saves each
complete stream under a safe path, whatever the vendor's ids look like."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible.module_utils.common.parameters import remove_values

from ansible_collections.multicloud.invocations.plugins.module_utils import _output
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._output import (
    OutputOptions,
    json_masker,
    left_out_marker,
    limit_text,
    safe_part,
    shape_output,
)
from ansible_collections.multicloud.invocations.plugins.module_utils._record import make_record, make_step

LONG = "".join(f"line {number:06d}\n" for number in range(10_000))  # 120,000 characters


def ssm_record(command_id="0b5b1c3e-8a8f-4b43-9d55-0123456789ab", instance_id="i-0123456789abcdef0", stdout=LONG, stderr="oops\n"):
    steps = [
        make_step("aws:runShellScript", "success", exit_code=0, stdout="setup done\n", stderr=""),
        make_step("verify", "failed", exit_code=3, stdout=stdout, stderr=stderr),
    ]
    plugins = [{"Name": "aws:runShellScript", "Output": "setup done\n"}, {"Name": "verify", "Output": stdout}]
    return make_record("aws_ssm", "failed", command_id=command_id, instance_id=instance_id, exit_code=3, stdout=stdout, stderr=stderr,
                       steps=steps, raw={"CommandId": command_id, "CommandPlugins": plugins})


def alibaba_record(invocation_id="t-hz0jdfwd9f1a2b3", instance_id="i-bp1abc", stdout=LONG):
    return make_record("alibaba_ecs", "success", command_id="c-hz0jdfwd9f1a2b3", invocation_id=invocation_id, instance_id=instance_id,
                       exit_code=0, stdout=stdout, stderr="", raw={"InstanceId": instance_id, "Output": stdout})


# -- the limit ---------------------------------------------------------------------------------------


def test_a_short_stream_is_kept_whole():
    assert limit_text("hello", 5) == ("hello", 0)
    assert limit_text("", 0) == ("", 0)


def test_a_long_stream_keeps_its_head_and_tail_and_says_how_much_was_left_out():
    kept, omitted = limit_text(LONG, 1000)
    assert omitted == len(LONG) - 1000
    assert kept == LONG[:500] + left_out_marker(omitted) + LONG[-500:]
    assert f"[... {omitted:,} characters left out by output_limit ...]" in kept
    assert kept.startswith("line 000000\n") and kept.endswith("line 009999\n")


def test_an_odd_limit_keeps_exactly_that_many_characters():
    kept, omitted = limit_text("abcdefghij", 3)
    assert omitted == 7
    assert kept == "a" + left_out_marker(7) + "ij"


def test_a_limit_of_zero_keeps_only_the_count():
    kept, omitted = limit_text("abc", 0)
    assert (kept, omitted) == (left_out_marker(3), 3)


def test_the_limit_cuts_record_steps_and_the_vendor_copies_in_raw():
    record = ssm_record()
    shape_output([record], OutputOptions(limit=100))
    assert record["stdout_omitted"] == len(LONG) - 100
    assert record["stderr_omitted"] == 0 and record["stderr"] == "oops\n"
    assert len(record["stdout"]) == 100 + len(left_out_marker(len(LONG) - 100))
    verify = record["steps"][1]
    assert (verify["stdout"], verify["stdout_omitted"]) == (record["stdout"], record["stdout_omitted"])
    assert record["steps"][0]["stdout"] == "setup done\n" and record["steps"][0]["stdout_omitted"] == 0
    assert record["raw"]["CommandPlugins"][1]["Output"] == record["stdout"]
    assert record["raw"]["CommandPlugins"][0]["Output"] == "setup done\n"
    assert record["raw"]["CommandId"] == record["command_id"]


def test_the_limit_cuts_each_providers_own_output_keys_in_raw():
    record = alibaba_record()
    zos = make_record("zenlayer_zos", "success", invocation_id="inv-1", instance_id="ins-1", stdout=LONG, stderr=LONG,
                      raw={"output": LONG, "outputError": LONG, "instanceId": "ins-1"})
    shape_output([record, zos], OutputOptions(limit=10))
    assert record["raw"]["Output"] == record["stdout"] and record["stdout_omitted"] == len(LONG) - 10
    assert zos["raw"]["output"] == zos["stdout"] and zos["raw"]["outputError"] == zos["stderr"]
    assert zos["stderr_omitted"] == len(LONG) - 10


def test_a_record_without_output_is_left_as_it_is():
    record = ssm_record(stdout=None, stderr=None)
    shape_output([record], OutputOptions(limit=10))
    assert record["stdout"] is None and record["stdout_omitted"] == 0


# -- options -------------------------------------------------------------------------------------------


def test_a_negative_limit_says_what_to_set():
    with pytest.raises(InvalidInput, match="output_limit must be 0 or more characters, got -1"):
        OutputOptions.from_params({"output_limit": -1})


def test_a_relative_directory_is_refused_with_an_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidInput, match=r"output_dir must be an absolute path, got 'out'.*playbook_dir }}/out"):
        OutputOptions.from_params({"output_dir": "out"})
    assert not (tmp_path / "out").exists()


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InvalidInput, match="exists and is not a directory"):
        OutputOptions.from_params({"output_dir": str(tmp_path / "taken")})


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_directory_that_cannot_be_written_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(InvalidInput, match="not writable by this user"):
        OutputOptions.from_params({"output_dir": str(locked)})
    with pytest.raises(InvalidInput, match="cannot be created"):
        OutputOptions.from_params({"output_dir": str(locked / "below")})


def test_a_missing_directory_is_created_for_its_owner_only(tmp_path):
    options = OutputOptions.from_params({"output_dir": str(tmp_path / "runs" / "today")})
    assert options.directory == str(tmp_path / "runs" / "today") and options.active
    assert stat.S_IMODE(os.stat(options.directory).st_mode) == 0o700
    assert not OutputOptions.from_params({}).active


# -- files -------------------------------------------------------------------------------------------


def test_each_step_of_each_instance_gets_its_files_named_by_provider_run_instance_and_step(tmp_path):
    record = ssm_record()
    shape_output([record], OutputOptions(limit=100, directory=str(tmp_path)))
    folder = tmp_path / "aws_ssm" / "0b5b1c3e-8a8f-4b43-9d55-0123456789ab" / "i-0123456789abcdef0"
    assert sorted(os.listdir(folder)) == ["0.aws_runShellScript.stderr", "0.aws_runShellScript.stdout", "1.verify.stderr", "1.verify.stdout"]
    # The file holds the whole stream; the result only head and tail.
    assert (folder / "1.verify.stdout").read_text() == LONG
    assert record["stdout_file"] == str(folder / "1.verify.stdout") == record["steps"][1]["stdout_file"]
    assert record["stderr_file"] == str(folder / "1.verify.stderr")
    assert open(record["steps"][0]["stdout_file"]).read() == "setup done\n"
    assert stat.S_IMODE(os.stat(record["stdout_file"]).st_mode) == 0o600
    assert record["stdout_omitted"] == len(LONG) - 100


def test_a_provider_without_steps_writes_the_runs_streams_under_its_invocation(tmp_path):
    record = alibaba_record()
    shape_output([record], OutputOptions(directory=str(tmp_path)))
    path = tmp_path / "alibaba_ecs" / "t-hz0jdfwd9f1a2b3" / "i-bp1abc" / "stdout"
    assert record["stdout_file"] == str(path) and path.read_text() == LONG
    assert (tmp_path / "alibaba_ecs" / "t-hz0jdfwd9f1a2b3" / "i-bp1abc" / "stderr").read_text() == ""
    # Without a limit the result keeps everything.
    assert record["stdout"] == LONG and record["stdout_omitted"] == 0


def test_reading_again_replaces_the_file(tmp_path):
    shape_output([alibaba_record(stdout="first, running\n")], OutputOptions(directory=str(tmp_path)))
    record = alibaba_record(stdout="first, running\nthen done\n")
    shape_output([record], OutputOptions(directory=str(tmp_path)))
    assert open(record["stdout_file"]).read() == "first, running\nthen done\n"
    assert not [name for name in os.listdir(os.path.dirname(record["stdout_file"])) if name.startswith(".")]


@pytest.mark.parametrize("hostile", ["../../etc", "..", ".", "/etc/passwd", "a/../../b", "..\\..\\x", "", "i-1\x00", "a" * 400])
def test_a_vendor_id_never_leads_out_of_the_directory(tmp_path, hostile):
    root = tmp_path / "out"
    root.mkdir()
    record = alibaba_record(invocation_id=hostile, instance_id=hostile, stdout="x")
    shape_output([record], OutputOptions(directory=str(root)))
    path = os.path.realpath(record["stdout_file"])
    assert os.path.commonpath([path, str(root)]) == str(root)
    assert os.path.relpath(path, root).count(os.sep) == 3
    assert [name for name in os.listdir(tmp_path) if name != "out"] == []


def test_changed_ids_keep_apart_and_a_plain_id_keeps_its_name():
    assert safe_part("i-0123456789abcdef0") == "i-0123456789abcdef0"
    assert safe_part("a/b") != safe_part("a_b") and safe_part("a/b").startswith("a_b-")
    assert safe_part("..") != safe_part("._") and not safe_part("..").startswith(".")
    assert safe_part(None) == "none"
    assert len(safe_part("x" * 1000)) <= 100


def test_a_symlink_planted_under_the_directory_is_not_followed(tmp_path):
    root = tmp_path / "out"
    outside = tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "alibaba_ecs")
    record = alibaba_record(stdout="secret-free but not yours\n")
    shape_output([record], OutputOptions(directory=str(root)))
    assert record["stdout_file"] is None
    assert record["output_warnings"] and record["output_warnings"][0]["code"] == "EACCES"
    assert "leads out of output_dir" in record["output_warnings"][0]["message"]
    assert record["stdout"] == "secret-free but not yours\n"
    assert not [path for path in outside.rglob("*") if path.is_file()]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_file_that_cannot_be_written_is_a_warning_and_the_output_stays(tmp_path):
    root = tmp_path / "out"
    (root / "alibaba_ecs").mkdir(parents=True)
    (root / "alibaba_ecs").chmod(0o500)
    try:
        record = alibaba_record(stdout="kept\n")
        shape_output([record], OutputOptions(limit=100, directory=str(root)))
    finally:
        (root / "alibaba_ecs").chmod(0o700)
    assert record["stdout"] == "kept\n" and record["stdout_file"] is None
    assert record["output_warnings"][0]["code"] == "EACCES"
    assert "could not be written under output_dir" in record["output_warnings"][0]["message"]


def test_without_output_no_file_is_written(tmp_path):
    record = alibaba_record(stdout=None)
    record["stderr"] = None
    shape_output([record], OutputOptions(directory=str(tmp_path)))
    assert record["stdout_file"] is None and list(tmp_path.iterdir()) == []


def test_a_secret_of_the_task_is_masked_in_the_files_as_in_the_result(tmp_path):
    # A command that printed the task's secret key: the result shows it masked (exit_json), and so must
    # the file on the controller.
    record = alibaba_record(stdout="token=s3cr3t-key-value\nend\n")
    shape_output([record], OutputOptions(directory=str(tmp_path)), secrets={"s3cr3t-key-value"})
    assert open(record["stdout_file"]).read() == "token=********\nend\n"
    # Without secrets to mask, the file holds the stream as it came.
    plain = alibaba_record(invocation_id="t-other", stdout="token=s3cr3t-key-value\n")
    shape_output([plain], OutputOptions(directory=str(tmp_path)))
    assert open(plain["stdout_file"]).read() == "token=s3cr3t-key-value\n"


# Values holding a secret the ways remove_values finds one: inside a string, a whole string, a
# number whose str() shows it, and secrets JSON writes escaped (quote, backslash, newline, non-ASCII).
MASKED_CASES = [
    ({"stdout": "key=s3cr3t\n", "exit_code": 0, "accepted": True}, {"s3cr3t"}),
    ({"stderr": "s3cr3t", "raw": {"nested": ["a", "s3cr3t"]}}, {"s3cr3t"}),
    ({"exit_code": 41234, "stdout": ""}, {"123"}),
    ({"stdout": 'said "pa\\ss"\n'}, {'"pa\\ss"'}),
    ({"stdout": "line one\nline two\n"}, {"one\nline"}),
    ({"stdout": "motdepasse: clé-sécrète ✓"}, {"clé-sécrète ✓"}),
    ({"stdout": "nothing here", "ratio": float("nan")}, {"nan"}),
    ({"stdout": "anything"}, {""}),
]


@pytest.mark.parametrize("value, secrets", MASKED_CASES)
def test_json_masker_masks_as_remove_values_does(value, secrets):
    text = json_masker(secrets)(value)
    assert json.loads(text) == json.loads(json.dumps(remove_values(value, secrets), default=str))
    assert text != json.dumps(value, default=str)


def test_json_masker_walks_only_the_values_whose_json_shows_a_secret(monkeypatch):
    walked = []

    def counting(value, secrets):
        walked.append(value)
        return remove_values(value, secrets)

    monkeypatch.setattr(_output, "remove_values", counting)
    to_json = json_masker({"s3cr3t-key-value"})
    clean = [{"instance_id": f"ins-{number}", "stdout": "ok\n", "exit_code": 0} for number in range(50)]
    leaking = {"instance_id": "ins-x", "stdout": "using s3cr3t-key-value\n", "exit_code": 1}
    texts = [to_json(record) for record in clean + [leaking]]
    assert walked == [leaking]
    assert texts[:50] == [json.dumps(record) for record in clean]
    assert json.loads(texts[50])["stdout"] == "using ********\n"


def test_json_masker_without_secrets_is_plain_json():
    value = {"stdout": "s3cr3t", "when": "2026-01-01T00:00:00Z"}
    assert json_masker(())(value) == json.dumps(value)
