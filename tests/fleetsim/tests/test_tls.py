# HTTPS mode (--tls-dir): a throwaway CA verifies, the system trust store does not.
from __future__ import annotations

import io
import ssl
import subprocess
import sys
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, App
from fleetsim.fleet import build_fleet


@pytest.fixture
def tls_app(tmp_path):
    log = io.StringIO()
    app = App(build_fleet(1, None, 0), tls_dir=str(tmp_path / "tls"), log=log).start_in_thread()
    try:
        yield app, tmp_path / "tls" / "ca.pem", log
    finally:
        app.close()


def _ssm(url, verify):
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id=DEFAULT_ACCESS_KEY,
                        aws_secret_access_key=DEFAULT_SECRET_KEY, verify=verify,
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_url_is_https_and_the_ca_verifies(tls_app):
    app, ca, _log = tls_app
    assert app.url.startswith("https://127.0.0.1:")
    assert _ssm(app.url, str(ca)).list_commands()["Commands"] == []


def test_untrusted_certificate_fails_and_the_server_carries_on(tls_app):
    app, ca, log = tls_app
    with pytest.raises(botocore.exceptions.SSLError):
        _ssm(app.url, True).list_commands()
    # The server notes the refused handshake in its own thread: wait for the line.
    deadline = time.monotonic() + 10
    while "TLSHandshakeFailed" not in log.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "TLSHandshakeFailed" in log.getvalue()
    # Verification off: the same endpoint answers.
    assert _ssm(app.url, False).list_commands()["Commands"] == []
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"{app.url}/_fleetsim/health", context=context, timeout=10) as response:
        assert response.status == 200


def test_key_file_is_private(tls_app):
    _app, ca, _log = tls_app
    assert (ca.parent / "server.key").stat().st_mode & 0o077 == 0


def test_cli_prints_an_https_url(tmp_path):
    command = [sys.executable, "-m", "fleetsim", "serve", "--port", "0", "--tls-dir", str(tmp_path / "tls")]
    proc = subprocess.Popen(command,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert line.startswith("fleetsim listening on https://127.0.0.1:")
        assert (tmp_path / "tls" / "ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
