# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Attributes shared by every module of the collection.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff_mode).
  action_group:
    description: Use C(group/multicloud.invocations.invocations) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - multicloud.invocations.invocations
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    # The modules that wait (invocation_wait, and invocation_run with wait).
    WAITING = r"""
options: {}
attributes:
  async:
    description: Supports being used with the C(async) keyword.
    support: full
    details:
      - With C(async), the wait runs as one module process to its end and prints no progress line; read its result
        with the C(ansible.builtin.async_status) module.
"""
