# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleetsim_request: one HTTP request to fleetsim's control API (or the loopback moto_server), made
on the controller inside this action.

The targets set faults, read counters and reset fleetsim between cases about a hundred times per
run. ansible.builtin.uri is a module: each call starts a Python process that compiles the module
and its module_utils from a zip (about half a CPU-second on 2.19), which was a fifth of the
integration lanes' CPU. This action takes the arguments of uri that the targets use and returns the
fields they read (status, json, content), so a task reads the same either way.

Arguments: url (required), method (GET), body (sent as JSON when given), body_format (json only),
status_code (an int or a list; 200), return_content (accepted for uri's sake: content is always
returned), timeout (30 s).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible.plugins.action import ActionBase

ARGUMENTS = {"url", "method", "body", "body_format", "status_code", "return_content", "timeout"}
# fleetsim and moto_server listen on loopback: a proxy from the environment must not carry the request.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ActionModule(ActionBase):
    """See the module docstring."""

    _requires_connection = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        unknown = sorted(set(args) - ARGUMENTS)
        if unknown or not args.get("url") or args.get("body_format", "json") != "json":
            return dict(result, failed=True, msg=(
                f"fleetsim_request takes url (required), method, body, body_format: json, status_code, return_content "
                f"and timeout; got {sorted(args)}"))
        expected = args.get("status_code", [200])
        expected = [int(code) for code in (expected if isinstance(expected, list) else [expected])]
        method = str(args.get("method", "GET")).upper()
        data = None
        headers = {}
        if "body" in args:
            data = json.dumps(args["body"]).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(str(args["url"]), data=data, headers=headers, method=method)
        try:
            with OPENER.open(request, timeout=float(args.get("timeout", 30))) as response:
                status, content, content_type = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, content, content_type = error.code, error.read(), error.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError) as error:
            return dict(result, failed=True, status=-1, url=args["url"], msg=f"{method} {args['url']}: {error}")
        text = content.decode("utf-8", "replace")
        result.update(status=status, url=args["url"], content=text, msg=f"{method} {args['url']}: HTTP {status}")
        if "json" in content_type and text:
            try:
                result["json"] = json.loads(text)
            except ValueError:
                pass
        if status not in expected:
            result.update(failed=True, msg=f"{method} {args['url']}: HTTP {status}, expected {expected}: {text[:500]}")
        return result
