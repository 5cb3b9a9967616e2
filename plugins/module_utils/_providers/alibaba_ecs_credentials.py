# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Alibaba Cloud access keys: module options, then environment variables, then profile files.

Order as the Alibaba Cloud SDK's credential chain reads them
(https://www.alibabacloud.com/help/en/sdk/developer-reference/v2-manage-python-access-credentials):
the current SDK variable names first, then the alibaba.alicloud
ones, then an access-key profile from ``~/.aliyun/config.json`` (the CLI's) or
``~/.alibabacloud/credentials.ini`` (the SDK's). Only access-key profiles are read; role and
OIDC profiles need an STS exchange this collection does not make.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import AccessDenied, InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs_spec import SPEC
from ansible_collections.multicloud.invocations.plugins.module_utils._spec import setting

ENVIRONMENT = SPEC.environment
CLI_CONFIG = "~/.aliyun/config.json"
INI_FILE = "~/.alibabacloud/credentials.ini"


@dataclasses.dataclass
class AlibabaCredentials:
    access_key_id: str
    access_key_secret: str = dataclasses.field(repr=False)
    security_token: str | None = dataclasses.field(default=None, repr=False)
    region: str | None = None


def _from_options_or_environment(options: dict[str, t.Any], name: str) -> t.Any:
    return setting(options, name, ENVIRONMENT)


def _cli_profile(path: str, name: str | None) -> dict[str, t.Any] | None:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            config = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot read the Alibaba Cloud CLI profiles in {path}: {error}") from error
    wanted = name or config.get("current") or "default"
    for profile in config.get("profiles") or []:
        if profile.get("name") == wanted:
            if profile.get("mode", "AK") not in ("AK", "StsToken"):
                raise InvalidInput(f"profile {wanted!r} in {path} uses mode {profile.get('mode')}; only AK and StsToken profiles are supported")
            return {
                "access_key": profile.get("access_key_id"),
                "secret_key": profile.get("access_key_secret"),
                "session_token": profile.get("sts_token"),
                "region": profile.get("region_id"),
            }
    return None


def _ini_problem(error: configparser.Error) -> str:
    """What is wrong with an INI file, by line number only (configparser's message quotes the line)."""
    if isinstance(error, configparser.ParsingError) and getattr(error, "errors", None):
        lines = ", ".join(str(lineno) for lineno, _line in error.errors)
        return f"line {lines} cannot be parsed (expected 'name = value' under a [section] header)"
    lineno = getattr(error, "lineno", None)
    if isinstance(error, configparser.MissingSectionHeaderError):
        return f"line {lineno} comes before any [section] header"
    if isinstance(error, (configparser.DuplicateSectionError, configparser.DuplicateOptionError)):
        return f"line {lineno} repeats a section or a key" if lineno else "a section or a key is repeated"
    return f"line {lineno} cannot be parsed" if lineno else "the file cannot be parsed as INI"


def _ini_profile(path: str, name: str | None) -> dict[str, t.Any] | None:
    parser = configparser.ConfigParser()
    try:
        if not parser.read(os.path.expanduser(path), encoding="utf-8"):
            return None
    except configparser.Error as error:
        # configparser quotes the offending line, which may hold a secret: name the line, never show it.
        raise InvalidInput(f"cannot read the Alibaba Cloud credentials file {path}: {_ini_problem(error)}") from None
    section = name or "default"
    if not parser.has_section(section):
        return None
    if parser.get(section, "type", fallback="access_key") != "access_key":
        raise InvalidInput(f"profile {section!r} in {path} is not of type access_key, the only type supported")
    return {
        "access_key": parser.get(section, "access_key_id", fallback=None),
        "secret_key": parser.get(section, "access_key_secret", fallback=None),
        "region": parser.get(section, "region_id", fallback=None),
    }


def resolve(options: dict[str, t.Any]) -> AlibabaCredentials:
    """The access key to sign with, or AccessDenied saying where it was looked for."""
    access_key = _from_options_or_environment(options, "access_key")
    secret_key = _from_options_or_environment(options, "secret_key")
    token = _from_options_or_environment(options, "session_token")
    region = _from_options_or_environment(options, "region")
    profile_name = _from_options_or_environment(options, "profile")
    if not (access_key and secret_key):
        profile = _cli_profile(CLI_CONFIG, profile_name) or _ini_profile(INI_FILE, profile_name)
        if profile_name and not profile:
            raise InvalidInput(f"Alibaba Cloud profile {profile_name!r} was found neither in {CLI_CONFIG} nor in {INI_FILE}")
        if profile:
            access_key, secret_key = profile["access_key"], profile["secret_key"]
            token = token or profile.get("session_token")
            region = region or profile.get("region")
    if not (access_key and secret_key):
        raise AccessDenied(
            "no Alibaba Cloud access key: set access_key and secret_key (aliases access_key_id, access_key_secret), "
            "the ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET environment variables, or a profile",
            provider="alibaba_ecs",
        )
    return AlibabaCredentials(access_key, secret_key, token, region)
