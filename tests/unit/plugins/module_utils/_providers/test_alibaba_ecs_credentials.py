# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alibaba Cloud access keys: options, then ALIBABA_CLOUD_* and ALICLOUD_* variables, then the CLI
profile file and the SDK's INI file, with the refusals of the Alibaba Cloud SDK's credential chain."""

from __future__ import annotations

import json

import pytest

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_credentials as creds
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_credentials import resolve

ALL_VARIABLES = sorted({name for names in creds.ENVIRONMENT.values() for name in names})


@pytest.fixture(autouse=True)
def home(monkeypatch, tmp_path):
    """No Alibaba variable from the machine running the tests, and an empty HOME."""
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def write_cli(home, config) -> None:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")


def write_ini(home, text: str) -> None:
    path = home / ".alibabacloud" / "credentials.ini"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def cli_profile(name, key="LTAIcli", secret="cli-secret", mode="AK", **extra):
    profile = {"name": name, "mode": mode, "access_key_id": key, "access_key_secret": secret, "region_id": "cn-beijing"}
    profile.update(extra)
    return profile


# -- options and environment -------------------------------------------------------------------


def test_options_win_over_every_variable(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-shanghai")
    found = resolve({"access_key": "LTAIopt", "secret_key": "opt-secret", "session_token": "opt-token", "region": "eu-central-1"})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAIopt", "opt-secret", "opt-token", "eu-central-1")


def test_empty_option_falls_through_to_the_environment(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    found = resolve({"access_key": "", "secret_key": None})
    assert (found.access_key_id, found.access_key_secret) == ("LTAIenv", "env-secret")


def test_current_sdk_variables_win_over_alicloud_ones(monkeypatch):
    for name, value in (
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAInew"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "new-secret"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "new-token"),
        ("ALIBABA_CLOUD_REGION_ID", "cn-shanghai"),
        ("ALICLOUD_ACCESS_KEY", "LTAIold"),
        ("ALICLOUD_SECRET_KEY", "old-secret"),
        ("ALICLOUD_SECURITY_TOKEN", "old-token"),
        ("ALICLOUD_REGION", "cn-beijing"),
    ):
        monkeypatch.setenv(name, value)
    found = resolve({})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAInew", "new-secret", "new-token", "cn-shanghai")


@pytest.mark.parametrize(
    "key_variable, secret_variable, region_variable",
    [
        ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_REGION"),
        ("ALICLOUD_ACCESS_KEY_ID", "ALICLOUD_SECRET_ACCESS_KEY", "ALICLOUD_REGION_ID"),
    ],
)
def test_alicloud_variables_are_the_fallback(monkeypatch, key_variable, secret_variable, region_variable):
    monkeypatch.setenv(key_variable, "LTAIold")
    monkeypatch.setenv(secret_variable, "old-secret")
    monkeypatch.setenv(region_variable, "ap-southeast-1")
    monkeypatch.setenv("ALICLOUD_SECURITY_TOKEN", "old-token")
    found = resolve({})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAIold", "old-secret", "old-token", "ap-southeast-1")


def test_alicloud_access_key_comes_before_alicloud_access_key_id(monkeypatch):
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY", "LTAIfirst")
    monkeypatch.setenv("ALICLOUD_ACCESS_KEY_ID", "LTAIsecond")
    monkeypatch.setenv("ALICLOUD_SECRET_ACCESS_KEY", "s")
    assert resolve({}).access_key_id == "LTAIfirst"


def test_keys_from_the_environment_leave_the_profile_files_unread(monkeypatch, home):
    # A broken profile file would raise if it were read.
    write_cli(home, "{not json")
    write_ini(home, "no section header\n")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    found = resolve({"profile": "elsewhere"})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAIenv", "env-secret", None, None)


def test_secret_and_token_are_not_in_the_repr():
    found = resolve({"access_key": "LTAIopt", "secret_key": "very-secret", "session_token": "sts-token-value"})
    text = repr(found)
    assert "LTAIopt" in text
    assert "very-secret" not in text
    assert "sts-token-value" not in text


# -- the CLI profile file ----------------------------------------------------------------------


def test_cli_current_profile_is_used_without_a_profile_name(home):
    write_cli(home, {"current": "work", "profiles": [cli_profile("default", key="LTAIdefault"), cli_profile("work", key="LTAIwork")]})
    found = resolve({})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAIwork", "cli-secret", None, "cn-beijing")


def test_cli_default_profile_without_current(home):
    write_cli(home, {"profiles": [cli_profile("other", key="LTAIother"), cli_profile("default", key="LTAIdefault")]})
    assert resolve({}).access_key_id == "LTAIdefault"


def test_cli_profile_named_by_option_wins_over_current_and_variables(monkeypatch, home):
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "fromenv")
    profiles = [cli_profile("work", key="LTAIwork"), cli_profile("fromenv", key="LTAIenv"), cli_profile("opt", key="LTAIopt")]
    write_cli(home, {"current": "work", "profiles": profiles})
    assert resolve({"profile": "opt"}).access_key_id == "LTAIopt"


@pytest.mark.parametrize("variable", ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"])
def test_cli_profile_named_by_variable(monkeypatch, home, variable):
    monkeypatch.setenv(variable, "fromenv")
    write_cli(home, {"current": "work", "profiles": [cli_profile("work", key="LTAIwork"), cli_profile("fromenv", key="LTAIenv")]})
    assert resolve({}).access_key_id == "LTAIenv"


def test_alibaba_cloud_profile_wins_over_alicloud_profile(monkeypatch, home):
    monkeypatch.setenv("ALIBABA_CLOUD_PROFILE", "new")
    monkeypatch.setenv("ALICLOUD_PROFILE", "old")
    write_cli(home, {"profiles": [cli_profile("old", key="LTAIold"), cli_profile("new", key="LTAInew")]})
    assert resolve({}).access_key_id == "LTAInew"


def test_cli_sts_token_profile_gives_the_token(home):
    write_cli(home, {"current": "sts", "profiles": [cli_profile("sts", mode="StsToken", sts_token="cli-token")]})
    found = resolve({})
    assert (found.access_key_id, found.security_token) == ("LTAIcli", "cli-token")


def test_cli_profile_without_mode_is_an_access_key_profile(home):
    profile = cli_profile("default")
    del profile["mode"]
    write_cli(home, {"profiles": [profile]})
    assert resolve({}).access_key_id == "LTAIcli"


def test_options_and_variables_win_over_the_profile_region_and_token(monkeypatch, home):
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    write_cli(home, {"current": "sts", "profiles": [cli_profile("sts", mode="StsToken", sts_token="cli-token")]})
    found = resolve({"region": "us-west-1"})
    assert (found.access_key_id, found.security_token, found.region) == ("LTAIcli", "env-token", "us-west-1")


@pytest.mark.parametrize("mode", ["RamRoleArn", "EcsRamRole", "OIDC", "CloudSSO", "External"])
def test_cli_profile_of_another_mode_is_refused(home, mode):
    write_cli(home, {"current": "role", "profiles": [cli_profile("role", mode=mode)]})
    with pytest.raises(InvalidInput) as caught:
        resolve({})
    assert f"uses mode {mode}" in caught.value.message
    assert "only AK and StsToken" in caught.value.message


def test_cli_file_that_is_not_json_is_refused(home):
    write_cli(home, "{\"profiles\": [")
    with pytest.raises(InvalidInput) as caught:
        resolve({})
    assert "cannot read the Alibaba Cloud CLI profiles in ~/.aliyun/config.json" in caught.value.message


def test_cli_wins_over_ini_for_the_same_profile(home):
    write_cli(home, {"profiles": [cli_profile("default", key="LTAIcli")]})
    write_ini(home, "[default]\naccess_key_id = LTAIini\naccess_key_secret = ini-secret\n")
    assert resolve({}).access_key_id == "LTAIcli"


# -- the INI file ------------------------------------------------------------------------------


def test_ini_default_section(home):
    write_ini(home, "[default]\ntype = access_key\naccess_key_id = LTAIini\naccess_key_secret = ini-secret\nregion_id = cn-shenzhen\n")
    found = resolve({})
    assert (found.access_key_id, found.access_key_secret, found.security_token, found.region) == ("LTAIini", "ini-secret", None, "cn-shenzhen")


def test_ini_is_used_when_the_cli_file_lacks_the_named_profile(home):
    write_cli(home, {"current": "default", "profiles": [cli_profile("default", key="LTAIcli")]})
    write_ini(home, "[default]\naccess_key_id = LTAIwrong\naccess_key_secret = s\n\n[project]\naccess_key_id = LTAIproject\naccess_key_secret = p\n")
    found = resolve({"profile": "project"})
    assert (found.access_key_id, found.access_key_secret) == ("LTAIproject", "p")


def test_ini_section_of_another_type_is_refused(home):
    write_ini(home, "[default]\ntype = ram_role_arn\naccess_key_id = LTAIini\naccess_key_secret = s\nrole_arn = acs:ram::1:role/r\n")
    with pytest.raises(InvalidInput) as caught:
        resolve({})
    assert "is not of type access_key" in caught.value.message


def test_ini_file_that_cannot_be_parsed_is_refused(home):
    write_ini(home, "access_key_id = LTAIini\n")
    with pytest.raises(InvalidInput) as caught:
        resolve({})
    assert "cannot read the Alibaba Cloud credentials file ~/.alibabacloud/credentials.ini" in caught.value.message


SECRET = "s3cr3t-never-shown-0123456789"


@pytest.mark.parametrize(
    "text, line, problem",
    [
        # Before any section header: configparser quotes the line, secret included.
        (f"access_key_secret = {SECRET}\n", 1, "comes before any [section] header"),
        # A line that is neither a header nor 'name = value'.
        (f"[default]\naccess_key_id = LTAIini\n{SECRET}\n", 3, "cannot be parsed"),
        # The same key twice.
        (f"[default]\naccess_key_secret = a\naccess_key_secret = {SECRET}\n", 3, "repeats a section or a key"),
    ],
)
def test_an_unparsable_ini_file_is_named_by_file_and_line_never_its_content(home, text, line, problem):
    write_ini(home, text)
    with pytest.raises(InvalidInput) as caught:
        resolve({})
    message = caught.value.message
    assert SECRET not in message
    assert "~/.alibabacloud/credentials.ini" in message
    assert f"line {line} " in message and problem in message
    # Nor in the exception chain a traceback would print.
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# -- nothing found -----------------------------------------------------------------------------


def test_missing_named_profile_is_invalid_input(home):
    write_cli(home, {"profiles": [cli_profile("default")]})
    write_ini(home, "[default]\naccess_key_id = LTAIini\naccess_key_secret = s\n")
    with pytest.raises(InvalidInput) as caught:
        resolve({"profile": "nosuch"})
    assert "'nosuch' was found neither in ~/.aliyun/config.json nor in ~/.alibabacloud/credentials.ini" in caught.value.message


def test_missing_named_profile_without_any_file_is_invalid_input(monkeypatch):
    monkeypatch.setenv("ALICLOUD_PROFILE", "nosuch")
    with pytest.raises(InvalidInput, match="'nosuch' was found neither"):
        resolve({})


def test_no_key_anywhere_is_access_denied():
    with pytest.raises(AccessDenied) as caught:
        resolve({"region": "cn-hangzhou"})
    assert caught.value.provider == "alibaba_ecs"
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in caught.value.message


def test_a_key_without_its_secret_is_access_denied(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIenv")
    with pytest.raises(AccessDenied):
        resolve({})


def test_profile_without_keys_is_access_denied(home):
    write_cli(home, {"profiles": [cli_profile("default", key="", secret="")]})
    with pytest.raises(AccessDenied):
        resolve({})
