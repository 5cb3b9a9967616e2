# Cloud Assistant's OssOutputDelivery and fleetsim's OSS front-end. The objects are read back with
# the official OSS SDK (alibabacloud-oss-v2, a dev requirement), which signs with V4 on its own: a
# peer that nobody here wrote checks fleetsim's signature verification.
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from acs_client import call
from conftest import control
from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY
from test_alibaba_api import results, run, wait_done

oss = pytest.importorskip("alibabacloud_oss_v2")

# 30,000 characters: more than the 24 KB Output keeps.
LONG = "for i in $(seq 1 3000); do printf 'line%05d\\n' $i; done"


def sdk_client(url: str, secret: str = DEFAULT_SECRET_KEY) -> object:
    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(DEFAULT_ACCESS_KEY, secret)
    config.region = "cn-hangzhou"
    config.endpoint = url
    config.use_path_style = True
    config.retry_max_attempts = 1
    return oss.Client(config)


def key_of(uri: str) -> tuple[str, str]:
    assert uri.startswith("oss://")
    bucket, _sep, key = uri[len("oss://"):].partition("/")
    return bucket, key


def test_the_complete_output_is_delivered_where_oss_output_uri_says(app):
    ids = [i.alibaba_id for i in app.engine.instances][:2]
    sent = run(app.url, ids, LONG, OssOutputDelivery="oss://fleet-output/runs")
    wait_done(app.url, sent["InvokeId"])
    records = results(app.url, sent["InvokeId"])
    client = sdk_client(app.url)
    for record, instance_id in zip(records, ids):
        assert record["Dropped"] == 30000 - 24 * 1024
        assert len(record["Output"]) == 24 * 1024
        assert record["OssOutputStatus"] == "Finished"
        assert record["OssOutputUri"] == f"oss://fleet-output/runs/{sent['InvokeId']}/{instance_id}"
        bucket, key = key_of(record["OssOutputUri"])
        body = client.get_object(oss.GetObjectRequest(bucket=bucket, key=key)).body.read().decode()
        assert len(body) == 30000 and body.startswith("line00001\n") and body.endswith("line03000\n")


def test_without_delivery_the_fields_stay_empty(app):
    ids = [i.alibaba_id for i in app.engine.instances][:1]
    sent = run(app.url, ids, "echo hi")
    wait_done(app.url, sent["InvokeId"])
    record = results(app.url, sent["InvokeId"])[0]
    assert (record["OssOutputUri"], record["OssOutputStatus"]) == ("", "")


def test_a_bad_delivery_target_is_refused(app):
    ids = [i.alibaba_id for i in app.engine.instances][:1]
    params = {"Type": "RunShellScript", "CommandContent": "echo", "InstanceId": ids, "OssOutputDelivery": "s3://fleet-output/runs"}
    status, body, _headers = call(app.url, "RunCommand", params)
    assert (status, body["Code"]) == (400, "InvalidParameter") and "OssOutputDelivery" in body["Message"], body


def test_a_failing_bucket_reports_failed_delivery(app):
    control(app.url, "oss", {"failing_buckets": ["no-such-bucket"]})
    ids = [i.alibaba_id for i in app.engine.instances][:1]
    sent = run(app.url, ids, "echo hi", OssOutputDelivery="oss://no-such-bucket/x")
    wait_done(app.url, sent["InvokeId"])
    record = results(app.url, sent["InvokeId"])[0]
    assert (record["OssOutputUri"], record["OssOutputStatus"], record["OssOutputErrorCode"]) == ("", "Failed", "NoSuchBucket")


def test_put_get_missing_denied_and_bad_signatures(app):
    client = sdk_client(app.url)
    client.put_object(oss.PutObjectRequest(bucket="b-1", key="dir/a b.txt", body=b"hello"))
    got = client.get_object(oss.GetObjectRequest(bucket="b-1", key="dir/a b.txt"))
    assert got.body.read() == b"hello"
    with pytest.raises(Exception) as missing:
        client.get_object(oss.GetObjectRequest(bucket="b-1", key="nothing"))
    assert "NoSuchKey" in str(missing.value) and "404" in str(missing.value)
    control(app.url, "oss", {"denied_buckets": ["b-1"]})
    with pytest.raises(Exception) as denied:
        client.get_object(oss.GetObjectRequest(bucket="b-1", key="dir/a b.txt"))
    assert "AccessDenied" in str(denied.value)
    with pytest.raises(Exception) as forged:
        sdk_client(app.url, secret="not-the-secret").get_object(oss.GetObjectRequest(bucket="b-2", key="k"))
    assert "SignatureDoesNotMatch" in str(forged.value)
    assert control(app.url, "stats")["signature_failures"] == 1


def test_an_unsigned_read_is_not_served(app):
    request = urllib.request.Request(f"{app.url}/b-1/k", headers={"x-oss-date": "20240101T000000Z"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403 and b"<Code>AccessDenied</Code>" in refused.value.read()


def test_deleted_objects_and_bad_knobs(app):
    client = sdk_client(app.url)
    client.put_object(oss.PutObjectRequest(bucket="b-1", key="k", body=b"x"))
    control(app.url, "oss", {"delete": ["oss://b-1/k"]})
    with pytest.raises(Exception) as missing:
        client.get_object(oss.GetObjectRequest(bucket="b-1", key="k"))
    assert "NoSuchKey" in str(missing.value)
    with pytest.raises(urllib.error.HTTPError):
        control(app.url, "oss", {"denied": ["b-1"]})
