# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""The boundary between a vendor's JSON and our records.

The record parsers read fields by their documented types. A gateway, a proxy or a changed API can
send something else (a string where a list belongs, an object where a number does); the parser
then fails deep inside with a Python error. This decorator turns exactly those errors into one
typed ProviderError that names the payload, so a module fails with a message, never a traceback.
"""

from __future__ import annotations

import functools
import typing as t

from ansible_collections.multicloud.invocations.plugins.module_utils._errors import ProviderError

# The errors a well-typed parser raises only when a payload has the wrong shape.
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError)
QUOTED = 200


def vendor_payload(provider: str, what: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
    """Decorate a parser of ``what`` (for example "ListCommandInvocations item") from ``provider``."""

    def decorate(parse: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(parse)
        def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return parse(*args, **kwargs)
            except SHAPE_ERRORS as error:
                detail = f"{error.__class__.__name__}: {error}"[:QUOTED]
                raise ProviderError(
                    f"the {what} in the {provider} answer has a shape this collection cannot read ({detail}); "
                    "check that endpoint_url points at the vendor's API and not at a proxy that rewrites it",
                    provider=provider,
                ) from None

        return guarded

    return decorate
