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
    type: str
    default: aws_ssm
    choices: [aws_ssm]
  access_key:
    description:
      - AWS access key ID.
      - When not set, the environment variables E(AWS_ACCESS_KEY_ID), E(AWS_ACCESS_KEY) and E(EC2_ACCESS_KEY)
        are tried in that order, then botocore's own chain (shared files, instance role).
    type: str
    aliases: [aws_access_key_id, aws_access_key, ec2_access_key]
  secret_key:
    description:
      - AWS secret access key.
      - When not set, E(AWS_SECRET_ACCESS_KEY), E(AWS_SECRET_KEY) and E(EC2_SECRET_KEY) are tried in that order.
      - Never shown in results, messages or logs.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key, ec2_secret_key]
  session_token:
    description:
      - AWS session token for temporary credentials.
      - When not set, E(AWS_SESSION_TOKEN), E(AWS_SECURITY_TOKEN) and E(EC2_SECURITY_TOKEN) are tried in that order.
    type: str
    aliases: [aws_session_token, security_token, aws_security_token]
  profile:
    description:
      - A named profile from the AWS shared config and credentials files.
      - When not set, E(AWS_PROFILE) and E(AWS_DEFAULT_PROFILE) are tried.
      - Do not combine with O(access_key) and O(secret_key).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - The region of the commands, for example V(eu-west-1).
      - When not set, E(AWS_REGION), E(AWS_DEFAULT_REGION) and E(EC2_REGION) are tried, then the profile's region.
    type: str
    aliases: [aws_region, ec2_region]
  endpoint_url:
    description:
      - Send API requests to this URL instead of the provider's public endpoint, for example a VPC endpoint,
        a proxy or the C(fleetsim) simulator used by this collection's tests.
      - When not set, E(AWS_URL) and E(EC2_URL) are tried.
    type: str
    aliases: [aws_endpoint_url, ec2_url]
  ca_bundle:
    description:
      - A CA bundle (PEM file) to verify the endpoint's TLS certificate with.
      - When not set, E(AWS_CA_BUNDLE) is tried, then the system's trust store.
    type: path
    aliases: [aws_ca_bundle]
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate.
      - Set to V(false) only for a test endpoint you trust.
    type: bool
    default: true
  aws_config:
    description:
      - Extra botocore client configuration, as keyword arguments of C(botocore.config.Config).
      - The retry mode is set to V(standard) with 5 attempts unless this overrides it.
    type: dict
notes:
  - Environment variables are read on the host that runs the module, usually the controller.
  - Set credentials once for every module of the collection with C(module_defaults) and the action group
    C(group/multicloud.invocations.invocations).
requirements:
  - python >= 3.10
  - boto3 >= 1.28.0 and botocore >= 1.31.0 (for O(provider=aws_ssm))
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
    choices: [aws_ssm]
  access_key:
    description:
      - AWS access key ID.
    type: str
    aliases: [aws_access_key_id, aws_access_key, ec2_access_key]
    env:
      - name: AWS_ACCESS_KEY_ID
      - name: AWS_ACCESS_KEY
      - name: EC2_ACCESS_KEY
  secret_key:
    description:
      - AWS secret access key. Never shown in results, messages or logs.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key, ec2_secret_key]
    env:
      - name: AWS_SECRET_ACCESS_KEY
      - name: AWS_SECRET_KEY
      - name: EC2_SECRET_KEY
  session_token:
    description:
      - AWS session token for temporary credentials.
    type: str
    aliases: [aws_session_token, security_token, aws_security_token]
    env:
      - name: AWS_SESSION_TOKEN
      - name: AWS_SECURITY_TOKEN
      - name: EC2_SECURITY_TOKEN
  profile:
    description:
      - A named profile from the AWS shared config and credentials files.
    type: str
    aliases: [aws_profile]
    env:
      - name: AWS_PROFILE
      - name: AWS_DEFAULT_PROFILE
  region:
    description:
      - The region of the commands.
    type: str
    aliases: [aws_region, ec2_region]
    env:
      - name: AWS_REGION
      - name: AWS_DEFAULT_REGION
      - name: EC2_REGION
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
      - Verify the endpoint's TLS certificate.
    type: bool
    default: true
  aws_config:
    description:
      - Extra botocore client configuration, as keyword arguments of C(botocore.config.Config).
    type: dict
notes:
  - Environment variables are read on the controller, where lookups run.
requirements:
  - boto3 >= 1.28.0 and botocore >= 1.31.0 (for O(provider=aws_ssm))
  - jmespath (for O(query))
"""
