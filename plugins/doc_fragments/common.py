# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Paired with provider_argument_spec() in plugins/module_utils/_common.py.
    DOCUMENTATION = r"""
options:
  provider:
    description:
      - The cloud service that runs the commands.
      - V(aws_ssm) is AWS Systems Manager Run Command.
      - V(alibaba_ecs) is Alibaba Cloud ECS Cloud Assistant.
      - V(zenlayer_zos) is Zenlayer ZOS.
    type: str
    default: aws_ssm
    choices: [aws_ssm, alibaba_ecs, zenlayer_zos]
  access_key:
    description:
      - The access key ID (AWS) or AccessKey ID (Alibaba Cloud).
      - When not set, V(aws_ssm) tries E(AWS_ACCESS_KEY_ID), E(AWS_ACCESS_KEY) and E(EC2_ACCESS_KEY), then botocore's own chain
        (shared files, instance role); V(alibaba_ecs) tries E(ALIBABA_CLOUD_ACCESS_KEY_ID), E(ALICLOUD_ACCESS_KEY) and
        E(ALICLOUD_ACCESS_KEY_ID), then an access-key profile (see O(profile)); V(zenlayer_zos) tries
        E(ZENLAYERCLOUD_ACCESS_KEY_ID) and E(ZENLAYER_ACCESS_KEY_ID).
    type: str
    aliases: [aws_access_key_id, aws_access_key, ec2_access_key, access_key_id, alicloud_access_key]
  secret_key:
    description:
      - The secret access key (AWS) or AccessKey secret (Alibaba Cloud).
      - When not set, V(aws_ssm) tries E(AWS_SECRET_ACCESS_KEY), E(AWS_SECRET_KEY) and E(EC2_SECRET_KEY);
        V(alibaba_ecs) tries E(ALIBABA_CLOUD_ACCESS_KEY_SECRET), E(ALICLOUD_SECRET_KEY) and E(ALICLOUD_SECRET_ACCESS_KEY);
        V(zenlayer_zos) (its access key password) tries E(ZENLAYERCLOUD_ACCESS_KEY_PASSWORD) and E(ZENLAYER_ACCESS_KEY_SECRET).
      - Never shown in results, messages or logs.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key, ec2_secret_key, access_key_secret, alicloud_secret_key, access_key_password]
  token:
    description:
      - For V(zenlayer_zos), a personal access token sent in the C(Authorization) header with the C(Bearer) scheme, instead of signing with
        O(access_key) and O(secret_key). When not set, E(ZENLAYER_TOKEN) is tried.
      - Never shown in results, messages or logs.
    type: str
  session_token:
    description:
      - The token of temporary credentials (AWS session token, Alibaba Cloud STS security token).
      - When not set, V(aws_ssm) tries E(AWS_SESSION_TOKEN), E(AWS_SECURITY_TOKEN) and E(EC2_SECURITY_TOKEN);
        V(alibaba_ecs) tries E(ALIBABA_CLOUD_SECURITY_TOKEN) and E(ALICLOUD_SECURITY_TOKEN).
    type: str
    aliases: [aws_session_token, security_token, aws_security_token, alicloud_security_token]
  profile:
    description:
      - A named profile from the AWS shared config and credentials files, or (V(alibaba_ecs)) an access-key profile from
        C(~/.aliyun/config.json) or C(~/.alibabacloud/credentials.ini).
      - When not set, V(aws_ssm) tries E(AWS_PROFILE) and E(AWS_DEFAULT_PROFILE); V(alibaba_ecs) tries E(ALIBABA_CLOUD_PROFILE)
        and E(ALICLOUD_PROFILE), then the CLI's current profile.
      - Do not combine with O(access_key) and O(secret_key).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - The region of the commands, for example V(eu-west-1) or V(cn-hangzhou).
      - When not set, V(aws_ssm) tries E(AWS_REGION), E(AWS_DEFAULT_REGION) and E(EC2_REGION), then the profile's region;
        V(alibaba_ecs) tries E(ALIBABA_CLOUD_REGION_ID), E(ALICLOUD_REGION) and E(ALICLOUD_REGION_ID).
    type: str
    aliases: [aws_region, ec2_region]
  endpoint_url:
    description:
      - Send API requests to this URL instead of the provider's public endpoint, for example a VPC endpoint,
        a proxy or the C(fleetsim) simulator used by this collection's tests.
      - When not set, V(aws_ssm) tries E(AWS_URL) and E(EC2_URL); V(alibaba_ecs) uses C(https://ecs.<region>.aliyuncs.com)
        (C(ecs-cn-hangzhou.aliyuncs.com) for V(cn-hangzhou)).
    type: str
    aliases: [aws_endpoint_url, ec2_url]
  ca_bundle:
    description:
      - A CA bundle (PEM file) to verify the endpoint's TLS certificate with, for example a private CA in front of
        a proxy or a test endpoint.
      - When not set, V(aws_ssm) tries E(AWS_CA_BUNDLE), then every provider uses the system's trust store.
      - A certificate that does not verify fails with a message naming this option and O(validate_certs).
    type: path
    aliases: [aws_ca_bundle]
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. On by default for every provider.
      - Set to V(false) only for a test endpoint you trust; it wins over O(ca_bundle).
    type: bool
    default: true
  allow_plain_http:
    description:
      - Allow an O(endpoint_url) that starts with C(http://) and names a host that is not a loopback address.
      - Plain HTTP sends the signed requests, and with O(token) the token itself, unencrypted. Without this option
        such an endpoint fails before any API call; with it the task runs and warns.
      - Loopback endpoints (C(localhost), C(127.0.0.0/8), C(::1)), such as a local simulator, are always allowed over
        plain HTTP.
    type: bool
    default: false
  aws_config:
    description:
      - Extra botocore client configuration, as keyword arguments of C(botocore.config.Config).
      - The retry mode is set to V(standard) with 5 attempts unless this overrides it.
    type: dict
  signature_version:
    description:
      - How V(alibaba_ecs) signs requests. V(acs3) is ACS3-HMAC-SHA256, the current SDKs' default; V(rpc_v1) is the
        legacy HMAC-SHA1 query signature that some older gateways and proxies still expect.
      - Ignored by other providers.
    type: str
    default: acs3
    choices: [acs3, rpc_v1]
  request_timeout:
    description:
      - The longest one API request may take, in seconds, from connecting to the last byte of the answer (an
        answer that trickles in is cut off too). A wait (M(multicloud.invocations.invocation_wait), or
        M(multicloud.invocations.invocation_run) with C(wait)) also never lets a request run past its C(timeout), and
        sends none with less than a second of it left.
      - For V(aws_ssm) it also sets botocore's connect and read timeouts (unless O(aws_config) sets them); the
        whole request is bounded either way.
    type: float
    default: 30
notes:
  - Environment variables are read on the host that runs the module, usually the controller.
  - Set credentials once for every module of the collection with C(module_defaults) and the action group
    C(group/multicloud.invocations.invocations).
requirements:
  - python >= 3.10
  - boto3 >= 1.28.0 and botocore >= 1.31.0 (for O(provider=aws_ssm))
  - requests >= 2.28.0 (for O(provider=alibaba_ecs) and O(provider=zenlayer_zos))
"""

    # The same options for plugins that run on the controller (the lookup), where Ansible's
    # configuration system reads the environment variables itself.
    PLUGINS = r"""
options:
  provider:
    description:
      - The cloud service that ran the commands.
    type: str
    default: aws_ssm
    choices: [aws_ssm, alibaba_ecs, zenlayer_zos]
  access_key:
    description:
      - AWS access key ID.
    type: str
    aliases: [aws_access_key_id, aws_access_key, ec2_access_key, access_key_id, alicloud_access_key]
    env:
      - name: AWS_ACCESS_KEY_ID
      - name: AWS_ACCESS_KEY
      - name: EC2_ACCESS_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_ID
      - name: ALICLOUD_ACCESS_KEY
      - name: ZENLAYERCLOUD_ACCESS_KEY_ID
  secret_key:
    description:
      - AWS secret access key. Never shown in results, messages or logs.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key, ec2_secret_key, access_key_secret, alicloud_secret_key, access_key_password]
    env:
      - name: AWS_SECRET_ACCESS_KEY
      - name: AWS_SECRET_KEY
      - name: EC2_SECRET_KEY
      - name: ALIBABA_CLOUD_ACCESS_KEY_SECRET
      - name: ALICLOUD_SECRET_KEY
      - name: ZENLAYERCLOUD_ACCESS_KEY_PASSWORD
  token:
    description:
      - For V(zenlayer_zos), a personal access token sent in the C(Authorization) header with the C(Bearer) scheme.
    type: str
    env:
      - name: ZENLAYER_TOKEN
  session_token:
    description:
      - AWS session token for temporary credentials.
    type: str
    aliases: [aws_session_token, security_token, aws_security_token, alicloud_security_token]
    env:
      - name: AWS_SESSION_TOKEN
      - name: AWS_SECURITY_TOKEN
      - name: EC2_SECURITY_TOKEN
      - name: ALIBABA_CLOUD_SECURITY_TOKEN
      - name: ALICLOUD_SECURITY_TOKEN
  profile:
    description:
      - A named profile from the AWS shared config and credentials files.
    type: str
    aliases: [aws_profile]
    env:
      - name: AWS_PROFILE
      - name: AWS_DEFAULT_PROFILE
      - name: ALIBABA_CLOUD_PROFILE
  region:
    description:
      - The region of the commands.
    type: str
    aliases: [aws_region, ec2_region]
    env:
      - name: AWS_REGION
      - name: AWS_DEFAULT_REGION
      - name: EC2_REGION
      - name: ALIBABA_CLOUD_REGION_ID
      - name: ALICLOUD_REGION
  endpoint_url:
    description:
      - Send API requests to this URL instead of the provider's public endpoint.
    type: str
    aliases: [aws_endpoint_url, ec2_url]
    env:
      - name: AWS_URL
      - name: EC2_URL
  ca_bundle:
    description:
      - A CA bundle (PEM file) to verify the endpoint's TLS certificate with.
    type: path
    aliases: [aws_ca_bundle]
    env:
      - name: AWS_CA_BUNDLE
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. Set to V(false) only for a test endpoint you trust.
    type: bool
    default: true
  allow_plain_http:
    description:
      - Allow an O(endpoint_url) that starts with C(http://) and names a host that is not a loopback address
        (with a warning). Loopback endpoints are always allowed.
    type: bool
    default: false
  aws_config:
    description:
      - Extra botocore client configuration, as keyword arguments of C(botocore.config.Config).
    type: dict
  signature_version:
    description:
      - How V(alibaba_ecs) signs requests (V(acs3) or the legacy V(rpc_v1)).
    type: str
    default: acs3
    choices: [acs3, rpc_v1]
  request_timeout:
    description:
      - The longest one API request may take, in seconds, from connecting to the last byte of the answer.
    type: float
    default: 30
notes:
  - Environment variables are read on the controller, where lookups run. Each provider reads only its own vendor's
    variables (the AWS ones for V(aws_ssm), the Alibaba Cloud ones for V(alibaba_ecs)), in the order listed.
requirements:
  - boto3 >= 1.28.0 and botocore >= 1.31.0 (for O(provider=aws_ssm))
  - requests >= 2.28.0 (for O(provider=alibaba_ecs) and O(provider=zenlayer_zos))
  - jmespath (for O(query))
"""

    # not_found_grace for the one-read entry points (invocation_info and the lookup); a wait has its
    # own, in the wait fragment, where the grace also covers the poll rounds.
    READ_GRACE = r"""
options:
  not_found_grace:
    description:
      - Seconds during which an id the service does not show yet is read again, for a command or
        invocation just sent by another task, job or tool (the services' read APIs are eventually consistent).
      - After that, the task fails with a message that says the id never became visible.
      - The default V(0) reads once, so an id the service does not know fails at once.
      - An id whose format cannot exist fails at once, before any API call.
    type: float
    default: 0
"""
