# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Provider name -> adapter class.

Imports are static on purpose: Ansible ships a module with only the module_utils it can see
imported, so a registry that imported adapters by name at run time would ship without them.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.alibaba_ecs import AlibabaEcsProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm import AwsSsmProvider
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.zenlayer_zos import ZenlayerZosProvider

PROVIDERS: dict[str, t.Any] = {
    AwsSsmProvider.name: AwsSsmProvider,
    AlibabaEcsProvider.name: AlibabaEcsProvider,
    ZenlayerZosProvider.name: ZenlayerZosProvider,
}
PROVIDER_NAMES = tuple(PROVIDERS)


def build_provider(name: str, options: dict[str, t.Any]) -> t.Any:
    try:
        adapter = PROVIDERS[name]
    except KeyError:
        raise InvalidInput(f"unknown provider {name!r}: choose one of {', '.join(PROVIDER_NAMES)}") from None
    return adapter(options)
