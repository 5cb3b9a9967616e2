# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The plain-HTTP rule for endpoints, shared by every provider.

Credentials and signed requests cross the wire in the clear over ``http://``, and an eavesdropper
on the path can replay or tamper with them. Loopback traffic never leaves the host (a local
simulator, a port-forward), so it is allowed; anything else needs ``allow_plain_http: true`` and
gets a warning even then. Each provider calls :func:`check_plain_http` on the endpoint it resolved.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import InvalidInput

LOOPBACK_NAMES = frozenset(("localhost", "localhost.localdomain", "ip6-localhost"))


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address, without port) is this machine's loopback."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_plain_http(url: str | None, allow_plain_http: bool, provider: str, option: str = "endpoint_url") -> str | None:
    """None when ``url`` is fine as it is; a warning to show when plain HTTP was allowed on purpose.

    Raises InvalidInput for a plain-HTTP endpoint that is not loopback without the opt-in, and for
    a URL that is neither http nor https.
    """
    if not url:
        return None
    parsed = urllib.parse.urlsplit(url if "://" in url else f"https://{url}")
    scheme = parsed.scheme.lower()
    if scheme == "https":
        return None
    if scheme != "http":
        raise InvalidInput(f"{option} {_safe(parsed)} must start with https:// (or http:// for a loopback address)", provider=provider)
    if is_loopback(parsed.hostname):
        return None
    if not allow_plain_http:
        raise InvalidInput(
            f"{option} {_safe(parsed)} uses plain HTTP to a host that is not loopback, so credentials and requests would cross the "
            "network unencrypted: use https://, or set allow_plain_http: true if the network path is trusted",
            provider=provider,
        )
    return f"{option} {_safe(parsed)} uses plain HTTP (allow_plain_http is set): credentials and requests are not encrypted on the network"


def _safe(parsed: urllib.parse.SplitResult) -> str:
    """The URL for a message: scheme, host, port and path, never user info or a query string."""
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parsed.port}" if parsed.port else ""
    except ValueError:
        port = ""
    return f"{parsed.scheme}://{host}{port}{parsed.path}"
