# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""SSM managed nodes as agent entries (``_agents``), and the DescribeInstanceInformation filters.

Facts from the API reference of DescribeInstanceInformation
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html):
it lists managed nodes only, so an instance whose agent never registered is absent, and so are
stopped and terminated nodes; ``PingStatus`` is ``Online``, ``ConnectionLost`` or the deprecated
``Inactive``; ``MaxResults`` is 5 to 50; a ``Filters`` entry takes 1 to 100 values, and tag filters
(``tag:<key>``, ``tag-key``) cannot be combined with other filter types.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._agents import LOST, NOT_REGISTERED, ONLINE, agent_entry
from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput
from ansible_collections.multicloud.invocations.plugins.module_utils._providers.aws_ssm_records import PROVIDER, plain

# One InstanceIds filter per this many ids (the filter takes up to 100 values; SendCommand 50 ids).
IDS_PER_FILTER = 50
# Any other PingStatus (Inactive, or a value added later) is not online: the pre-flight must not send on a guess.
PING_STATES = {"Online": ONLINE, "ConnectionLost": LOST}
NOT_MANAGED = "not a managed node"


def tag_filters(targets: t.Sequence[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """SendCommand tag targets as the same selection of managed nodes in DescribeInstanceInformation."""
    filters = []
    for target in targets:
        key = str(target.get("key") or "")
        if not (key == "tag-key" or (key.startswith("tag:") and len(key) > 4)):
            raise InvalidInput(
                f"agent_check reads the agents of tag targets (tag:<key> or tag-key), not of the target key {key!r}: "
                "give instance_ids instead, or leave agent_check off",
                provider=PROVIDER,
            )
        filters.append({"Key": key, "Values": [str(value) for value in target.get("values") or []]})
    return filters


def id_filters(instance_ids: t.Sequence[str]) -> list[list[dict[str, t.Any]]]:
    """One Filters list per batch of instance ids."""
    return [[{"Key": "InstanceIds", "Values": list(instance_ids[start:start + IDS_PER_FILTER])}]
            for start in range(0, len(instance_ids), IDS_PER_FILTER)]


def node_agent(node: dict[str, t.Any]) -> dict[str, t.Any]:
    node = plain(node)
    status = node.get("PingStatus")
    return agent_entry(node["InstanceId"], PING_STATES.get(status, LOST), status, node.get("LastPingDateTime"), node)


def missing_agent(instance_id: str) -> dict[str, t.Any]:
    return agent_entry(instance_id, NOT_REGISTERED, NOT_MANAGED)
