# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Zenlayer ZOS as data: error codes, environment variables, page size.

Error codes and environment variables: Zenlayer's public SDK
(https://github.com/zenlayer/zenlayercloud-sdk-python).
"""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._spec import CodeClass, ErrorTable, ProviderSpec

SPEC = ProviderSpec(
    name="zenlayer_zos",
    service="ZOS",
    errors=ErrorTable(
        throttled=CodeClass(codes=frozenset(("REQUEST_LIMIT_EXCEEDED",)), statuses=frozenset((429,))),
        access=CodeClass(
            codes=frozenset(("INVALID_AUTHORIZATION", "INVALID_ACCESS_KEY_ID", "SIGNATURE_EXPIRED", "SIGNATURE_FAILURE", "INVALID_TOKEN", "UNAUTHORIZED")),
            statuses=frozenset((401, 403)),
        ),
        not_found=CodeClass(fragments=("NOT_FOUND",), statuses=frozenset((404,))),
        invalid=CodeClass(prefixes=("INVALID_", "MISSING_"), statuses=frozenset((400,))),
        transient=CodeClass(codes=frozenset((
            "REQUEST_LIMIT_EXCEEDED", "SERVICE_TEMPORARY_UNAVAILABLE", "INTERNAL_SERVER_ERROR", "REQUEST_TIMED_OUT", "NETWORK_ERROR",
        ))),
        access_hint="Check access_key / secret_key (access_key_password) or token",
    ),
    environment={
        "access_key": ("ZENLAYERCLOUD_ACCESS_KEY_ID", "ZENLAYER_ACCESS_KEY_ID"),
        "secret_key": ("ZENLAYERCLOUD_ACCESS_KEY_PASSWORD", "ZENLAYER_ACCESS_KEY_SECRET"),
        "token": ("ZENLAYER_TOKEN",),
    },
    page_size=100,
    error_keys=("code", "message"),
    request_id_key="requestId",
    # ZOS takes no idempotency token: an answer cut short is not asked again, or the command could run twice.
    not_idempotent=frozenset(("CreateCommand", "InvokeCommand")),
)
