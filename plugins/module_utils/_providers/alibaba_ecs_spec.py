# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Alibaba Cloud ECS Cloud Assistant as data: error codes, environment variables, page size.

Error codes: each action's page in the ECS API reference, e.g.
https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinvocations;
the environment variables are those of the Alibaba Cloud SDK credential chain
(https://www.alibabacloud.com/help/en/sdk/developer-reference/v2-manage-python-access-credentials),
then the alibaba.alicloud collection's.
"""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._spec import CodeClass, ErrorTable, ProviderSpec

SPEC = ProviderSpec(
    name="alibaba_ecs",
    service="Cloud Assistant",
    errors=ErrorTable(
        throttled=CodeClass(codes=frozenset(("Rejected.Throttling",)), prefixes=("Throttling",), statuses=frozenset((429,))),
        access=CodeClass(prefixes=("InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "Forbidden", "InvalidSecurityToken", "NoPermission")),
        not_found=CodeClass(
            prefixes=("InvalidInvokeId.NotFound", "InvalidCommandId.NotFound", "InvalidInstance.NotFound", "InvalidInstanceId.NotFound"),
            suffixes=(".NotFound",),
        ),
        invalid=CodeClass(prefixes=("InvalidParameter", "MissingParameter", "InvalidRegionId", "Invalid")),
        transient=CodeClass(codes=frozenset(("ServiceUnavailable", "InternalError", "UnknownError"))),
        access_hint="Check the access key (access_key, secret_key, session_token) and its RAM permissions",
    ),
    # The current SDK's names first, then the alibaba.alicloud collection's.
    environment={
        "access_key": ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALICLOUD_ACCESS_KEY_ID"),
        "secret_key": ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECRET_ACCESS_KEY"),
        "session_token": ("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"),
        "region": ("ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION", "ALICLOUD_REGION_ID"),
        "profile": ("ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"),
    },
    page_size=50,
    expired_page_token=frozenset(("InvalidParam.NextToken", "InvalidNextToken")),
    error_keys=("Code", "Message"),
    retry_after_header="x-acs-retry-after",
    # RunCommand and InvokeCommand always carry a ClientToken, so a retry returns the first run.
)
