# SSM's complete output in S3: with OutputS3BucketName, the agent uploads every plugin's whole
# stdout (and stderr, when there is some) under the key its StandardOutputUrl names, while the API
# keeps 24,000 / 8,000 characters. moto_server is the S3 peer.
from __future__ import annotations

from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import control, ssm_client, wait_for

moto_server = pytest.importorskip("moto.server")

BUCKET = "fleet-output"
LINES = 10_000  # "line 000001\n" is 12 characters: 120,000 in all


@pytest.fixture(name="s3_url", scope="module")
def s3_url_fixture():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(url):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIAFLEETSIM00000001",
                        aws_secret_access_key="fleetsim-secret-key-0000000000000000000000")


def ended(ssm, command_id, instance_id):
    def check():
        got = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return got if got["Status"] not in ("Pending", "InProgress", "Delayed") else None
    return wait_for(check, timeout=20)


def key_of(url):
    path = urlsplit(url).path.lstrip("/")
    bucket, _slash, key = path.partition("/")
    assert bucket == BUCKET
    return key


def send(ssm, instance_id, commands, **extra):
    return ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": commands},
                            **extra)["Command"]["CommandId"]


def test_the_complete_output_lands_where_the_url_says(make_app, s3_url):
    app = make_app()
    control(app.url, "config", {"s3_endpoint": s3_url})
    s3 = s3_client(s3_url)
    s3.create_bucket(Bucket=BUCKET)
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[0].id
    command_id = send(ssm, instance_id, [f"for i in $(seq 1 {LINES}); do printf 'line %06d\\n' $i; done", "echo 'a warning' >&2"],
                      OutputS3BucketName=BUCKET, OutputS3KeyPrefix="runs")
    got = ended(ssm, command_id, instance_id)
    assert len(got["StandardOutputContent"]) == 24_000
    key = key_of(got["StandardOutputUrl"])
    assert key == f"runs/{command_id}/{instance_id}/awsrunShellScript/0.awsrunShellScript/stdout"
    whole = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert len(whole) == LINES * 12 and whole.startswith("line 000001\n") and whole.endswith(f"line {LINES:06d}\n")
    stderr = s3.get_object(Bucket=BUCKET, Key=key_of(got["StandardErrorUrl"]))["Body"].read().decode()
    assert stderr == "a warning\n"


def test_no_stderr_object_without_stderr_and_nothing_without_a_bucket(make_app, s3_url):
    app = make_app()
    control(app.url, "config", {"s3_endpoint": s3_url})
    s3 = s3_client(s3_url)
    s3.create_bucket(Bucket=BUCKET)
    ssm = ssm_client(app.url)
    instance_id = app.engine.instances[1].id
    with_bucket = send(ssm, instance_id, ["echo quiet"], OutputS3BucketName=BUCKET)
    got = ended(ssm, with_bucket, instance_id)
    assert s3.get_object(Bucket=BUCKET, Key=key_of(got["StandardOutputUrl"]))["Body"].read() == b"quiet\n"
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=BUCKET, Key=key_of(got["StandardErrorUrl"]))
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
    without = send(ssm, instance_id, ["echo nowhere"])
    assert ended(ssm, without, instance_id)["StandardOutputUrl"] == ""
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert not [key for key in keys if without in key]


def test_the_endpoint_is_a_url_or_nothing(make_app):
    app = make_app()
    assert control(app.url, "config", {})["s3_endpoint"] is None
    with pytest.raises(Exception, match="400"):
        control(app.url, "config", {"s3_endpoint": "moto:5000"})
    assert control(app.url, "config", {"s3_endpoint": None})["s3_endpoint"] is None
