# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""AWS Systems Manager Run Command as data: error codes, environment variables, page size.

Error codes: https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html and
each action's Errors section; the throttling and transient codes are those botocore's standard retry
mode retries (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
"""

from __future__ import annotations

from ansible_collections.multicloud.invocations.plugins.module_utils._spec import CodeClass, ErrorTable, ProviderSpec

SPEC = ProviderSpec(
    name="aws_ssm",
    service="SSM",
    errors=ErrorTable(
        throttled=CodeClass(
            codes=frozenset((
                "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
                "RequestLimitExceeded", "RequestThrottled", "SlowDown",
            )),
            statuses=frozenset((429,)),
        ),
        access=CodeClass(codes=frozenset((
            "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch",
            "InvalidClientTokenId", "ExpiredTokenException", "MissingAuthenticationTokenException", "IncompleteSignature",
        ))),
        not_found=CodeClass(codes=frozenset((
            "InvalidCommandId", "InvocationDoesNotExist", "InvalidInstanceId", "InvalidPluginName", "DoesNotExistException",
        ))),
        invalid=CodeClass(codes=frozenset((
            "ValidationException", "InvalidParameters", "InvalidDocument", "InvalidFilterKey", "InvalidNextToken", "InvalidTarget",
        ))),
        # Retried like HTTP 5xx.
        transient=CodeClass(codes=frozenset((
            "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalServerError", "ServiceUnavailable",
        ))),
        access_hint="Check the credentials (access_key, secret_key, session_token or profile) and their IAM permissions",
        # A signature error quotes the whole canonical request after its first sentence.
        first_sentence=frozenset(("InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature")),
    ),
    # In amazon.aws order; botocore then applies its own chain (profile files, roles).
    environment={
        "access_key": ("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "EC2_ACCESS_KEY"),
        "secret_key": ("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "EC2_SECRET_KEY"),
        "session_token": ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "EC2_SECURITY_TOKEN"),
        "profile": ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"),
        "region": ("AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"),
        "endpoint_url": ("AWS_URL", "EC2_URL"),
        "ca_bundle": ("AWS_CA_BUNDLE",),
    },
    page_size=50,
    expired_page_token=frozenset(("InvalidNextToken",)),
    not_idempotent=frozenset(("SendCommand",)),
)
