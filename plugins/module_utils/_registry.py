# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Provider name -> adapter class, each adapter imported only when a task uses it.

Importing every adapter up front cost each module start the SDKs of every vendor (boto3 and
botocore alone are about a quarter of a CPU-second), also for an Alibaba or Zenlayer task and for a
task whose options fail validation before any provider is built. So each adapter is imported by a
small loader function below, on first use.

The imports stay static ``from ... import`` statements on purpose: Ansible ships a module with only
the module_utils it can see imported (its finder reads imports inside functions too), so a
registry that imported adapters by a name computed at run time would ship without them.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput


def _aws_ssm() -> t.Any:
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
    return AwsSsmProvider


def _alibaba_ecs() -> t.Any:
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaEcsProvider
    return AlibabaEcsProvider


def _zenlayer_zos() -> t.Any:
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos import ZenlayerZosProvider
    return ZenlayerZosProvider


# The order is the order of the ``provider`` choices in the modules' documentation.
_LOADERS: dict[str, t.Callable[[], t.Any]] = {
    "aws_ssm": _aws_ssm,
    "alibaba_ecs": _alibaba_ecs,
    "zenlayer_zos": _zenlayer_zos,
}
PROVIDER_NAMES = tuple(_LOADERS)


def adapter_class(name: str) -> t.Any:
    """The adapter class of provider ``name`` (its module is imported now if it was not yet)."""
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise InvalidInput(f"unknown provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)}") from None
    return loader()


def build_provider(name: str, options: dict[str, t.Any]) -> t.Any:
    return adapter_class(name)(options)


def environment_variables() -> dict[str, str]:
    """Every environment variable a provider reads, each with the option it stands for."""
    from ansible_collections.multicloud.invocations.plugins.module_utils._providers import alibaba_ecs_spec, aws_ssm_spec, zenlayer_zos_spec
    return {
        variable: option
        for spec in (aws_ssm_spec.SPEC, alibaba_ecs_spec.SPEC, zenlayer_zos_spec.SPEC)
        for option, variables in spec.environment.items()
        for variable in variables
    }
