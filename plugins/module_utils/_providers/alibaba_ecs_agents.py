# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Cloud Assistant status as agent entries (``_agents``).

Facts from the API reference of DescribeCloudAssistantStatus
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describecloudassistantstatus):
``CloudAssistantStatus`` is the string ``"true"`` when the agent runs and ``"false"`` otherwise;
``CloudAssistantVersion`` names the installed agent; it takes ``InstanceId.N`` (up to 50 ids a
call) and pages with ``MaxResults`` / ``NextToken``. It has no tag filter, so the check reads
instance ids only.
"""

from __future__ import annotations

import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._agents import LOST, NOT_REGISTERED, ONLINE, agent_entry

IDS_PER_CALL = 50
NOT_LISTED = "not listed"


def status_agent(item: dict[str, t.Any]) -> dict[str, t.Any]:
    status = str(item.get("CloudAssistantStatus"))
    if status.lower() == "true":
        state = ONLINE
    elif item.get("CloudAssistantVersion"):
        state = LOST
    else:
        state = NOT_REGISTERED
    return agent_entry(item["InstanceId"], state, status, item.get("LastHeartbeatTime") or None, item)


def missing_agent(instance_id: str) -> dict[str, t.Any]:
    return agent_entry(instance_id, NOT_REGISTERED, NOT_LISTED)


def statuses(body: dict[str, t.Any]) -> tuple[list[dict[str, t.Any]], str | None]:
    """A page's items and its NextToken (the client's ``pages`` unwraps with it)."""
    holder = body.get("InstanceCloudAssistantStatusSet") or {}
    items = holder.get("InstanceCloudAssistantStatus") if isinstance(holder, dict) else holder
    return list(items or []), body.get("NextToken") or None
