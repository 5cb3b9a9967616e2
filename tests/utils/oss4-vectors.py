# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print OSS signature V4 test vectors made by the official SDK (alibabacloud-oss-v2).

The collection signs OSS requests with its own code (plugins/module_utils/_signing_oss4.py);
tests/unit/plugins/module_utils/test__signing_oss4.py pins what this script printed, so our signer
is checked against the SDK without the SDK at run time. To regenerate, with the dev requirements
installed (make setup): .venv/bin/python tests/utils/oss4-vectors.py, and paste the JSON into VECTORS.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse

from alibabacloud_oss_v2.signer.v4 import SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext

# Each case: what a request to OSS is made of. The inputs are printed beside the SDK's answer.
CASES = [
    {"name": "plain GET", "method": "GET", "bucket": "examplebucket", "key": "logs/t-hz0abc/i-bp1.txt",
     "region": "cn-hangzhou", "time": "2024-03-05T06:07:08Z", "access_key_id": "LTAI5tExampleKeyId",
     "access_key_secret": "ExampleSecret0123456789abcdefghij", "security_token": None,
     "query": {}, "headers": {}, "additional_headers": []},
    {"name": "STS token, a key to encode", "method": "GET", "bucket": "output-bucket", "key": "run output/été+1/x~y*z.txt",
     "region": "ap-southeast-1", "time": "2025-12-31T23:59:59Z", "access_key_id": "STS.NUExampleTemporaryKey",
     "access_key_secret": "TemporarySecret/With+Signs=", "security_token": "CAISExampleSecurityToken+/=abc",
     "query": {}, "headers": {"Content-Type": "text/plain"}, "additional_headers": []},
    {"name": "query and additional headers", "method": "GET", "bucket": "b-1", "key": "prefix/t-1/i-2",
     "region": "cn-shanghai", "time": "2026-01-02T03:04:05Z", "access_key_id": "LTAI5tOther",
     "access_key_secret": "AnotherSecret", "security_token": None,
     "query": {"versionId": "CAEQNhiBgM0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****", "response-content-type": "text/plain; charset=utf-8", "acl": ""},
     "headers": {"Host": "b-1.oss-cn-shanghai.aliyuncs.com", "Range": "bytes=0-99", "x-oss-meta-owner": "ops"},
     "additional_headers": ["host", "range"]},
    {"name": "PUT with md5", "method": "PUT", "bucket": "upload", "key": "a/b/c",
     "region": "us-west-1", "time": "2024-02-29T12:00:00Z", "access_key_id": "LTAI5tPut",
     "access_key_secret": "PutSecret", "security_token": None,
     "query": {}, "headers": {"Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==", "Content-Type": "application/octet-stream"},
     "additional_headers": []},
]


def sign(case: dict) -> dict:
    query = "&".join(
        f"{urllib.parse.quote(name, safe='')}={urllib.parse.quote(value, safe='')}" if value else urllib.parse.quote(name, safe="")
        for name, value in case["query"].items()
    )
    url = f"https://{case['bucket']}.oss-{case['region']}.aliyuncs.com/{urllib.parse.quote(case['key'])}" + (f"?{query}" if query else "")
    request = HttpRequest(case["method"], url, headers=dict(case["headers"]))
    context = SigningContext(
        product="oss", region=case["region"], bucket=case["bucket"], key=case["key"], request=request,
        credentials=Credentials(case["access_key_id"], case["access_key_secret"], case["security_token"]),
        signing_time=datetime.datetime.strptime(case["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc),
        additional_headers=set(case["additional_headers"]) or None,
    )
    SignerV4().sign(context)
    return dict(case, string_to_sign=context.string_to_sign, authorization=request.headers["Authorization"])


if __name__ == "__main__":
    print(json.dumps([sign(case) for case in CASES], indent=2, ensure_ascii=False))
