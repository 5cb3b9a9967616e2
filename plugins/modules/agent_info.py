#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: agent_info
short_description: Report whether the run-command agents of instances are ready
version_added: 1.1.0
description:
  - Reads the state of each instance's agent, the one a run command is delivered through, and reports which are ready.
  - V(aws_ssm) reads C(DescribeInstanceInformation), every page; an instance that is not a managed node (agent never
    registered, or the instance stopped or terminated) is V(not_registered).
  - V(alibaba_ecs) reads C(DescribeCloudAssistantStatus), 50 instances a call.
  - V(zenlayer_zos) is refused - ZOS documents no call that reports the guest agent's state.
  - The same read as the pre-flight of M(multicloud.invocations.invocation_run) (O(multicloud.invocations.invocation_run#module:agent_check)).
  - Never changes anything. A vendor's agent state is a hint - an agent may go offline right after it was read.
author:
  - Multicloud Invocations maintainers (@multicloud-invocations)
options:
  instance_ids:
    description:
      - The instances whose agents to read, in the vendor's id format.
    type: list
    elements: str
  targets:
    description:
      - V(aws_ssm) only. Tag selectors, as in M(multicloud.invocations.invocation_run) (V(tag:<name>) or V(tag-key));
        the report lists the managed nodes they select, which are the instances a command sent to these targets reaches.
    type: list
    elements: dict
    suboptions:
      key:
        description:
          - V(tag:<name>) or V(tag-key).
        type: str
        required: true
      values:
        description:
          - Values to match.
        type: list
        elements: str
        required: true
extends_documentation_fragment:
  - multicloud.invocations.common
  - multicloud.invocations.attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so it runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: multicloud.invocations.invocation_run
"""

EXAMPLES = r"""
- name: Which web servers can take a command now?
  multicloud.invocations.agent_info:
    targets:
      - key: tag:role
        values: [web]
    region: eu-west-1
  register: readiness

- name: Stop here when an agent is not online
  ansible.builtin.assert:
    that: readiness.not_ready | length == 0
    fail_msg: "agents not online: {{ readiness.not_ready | join(', ') }}"

- name: Read Cloud Assistant on two instances
  multicloud.invocations.agent_info:
    provider: alibaba_ecs
    instance_ids:
      - i-bp1aaaaaaaaaaaaaaaaa
      - i-bp1bbbbbbbbbbbbbbbbb
    region: cn-hangzhou
  register: cloud_assistant
"""

RETURN = r"""
agents:
  description:
    - One entry per instance, in the order of O(instance_ids) (with O(targets), as the vendor lists them).
  returned: always
  type: list
  elements: dict
  contains:
    instance_id:
      description: The instance, in the vendor's id format.
      type: str
    state:
      description:
        - V(online); V(lost) (the agent registered and no longer answers - SSM C(ConnectionLost), Cloud Assistant V("false")
          with an agent version); V(not_registered) (SSM - not a managed node; Cloud Assistant - V("false") without a
          version, or not listed).
      type: str
    ready:
      description: Whether the agent is online.
      type: bool
    vendor_status:
      description: SSM C(PingStatus), Cloud Assistant C(CloudAssistantStatus), or a note when the vendor does not list the instance.
      type: str
    last_seen:
      description: The agent's last heartbeat where the vendor gives it (SSM C(LastPingDateTime), Cloud Assistant C(LastHeartbeatTime)).
      type: str
    raw:
      description: The vendor's item for the instance (empty when it did not list it).
      type: dict
ready:
  description: The instances whose agent is online.
  returned: always
  type: list
  elements: str
not_ready:
  description: The instances whose agent is not online.
  returned: always
  type: list
  elements: str
api_calls:
  description: HTTP requests the task sent to the vendor's API, every attempt counted (retries included, see RV(api_retries)).
  returned: always
  type: int
api_retries:
  description: Of RV(api_calls), the requests that repeated an earlier one after throttling or a transient error.
  returned: always
  type: int
"""

from ansible_collections.multicloud.invocations.plugins.module_utils._agent_info_module import module_spec, run
from ansible_collections.multicloud.invocations.plugins.module_utils._module import MultiCloudModule


def main() -> None:
    run(MultiCloudModule(**module_spec()))


if __name__ == "__main__":
    main()
