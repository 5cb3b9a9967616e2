# Shared fixtures: an in-thread fleetsim server and boto3 clients pointed at it.
from __future__ import annotations

import json
import time
import urllib.request
from typing import Any, Callable

import boto3
import pytest
from botocore.config import Config

from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, App
from fleetsim.engine import Instance
from fleetsim.fleet import FleetBuilder, build_fleet


def ssm_client(url: str, secret: str = DEFAULT_SECRET_KEY, access_key: str = DEFAULT_ACCESS_KEY, region: str = "us-east-1"):
    # One attempt only: tests look at the first answer, not at botocore's retries.
    return boto3.client("ssm", endpoint_url=url, region_name=region, aws_access_key_id=access_key,
                        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def control(url: str, name: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    method = "POST" if payload is not None else "GET"
    request = urllib.request.Request(f"{url}/_fleetsim/{name}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def fleet_from(entries: list[dict[str, Any]], count: int = 0, tmp_path=None) -> list[Instance]:
    builder = FleetBuilder(seed=0)
    builder.add_generic(count)
    if entries:
        path = tmp_path / "fleet.json"
        path.write_text(json.dumps({"instances": entries}))
        builder.add_file(str(path))
    return builder.instances


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@pytest.fixture(name="make_app")
def make_app_fixture():
    """Factory for in-thread servers (default: 3 Linux instances, real mode); all closed after the test."""
    apps: list[App] = []

    def factory(instances: list[Instance] | None = None, **options: Any) -> App:
        started = App(instances if instances is not None else build_fleet(3), log=None, **options)
        apps.append(started.start_in_thread())
        return started

    yield factory
    for started in apps:
        started.close()


@pytest.fixture(name="app")
def app_fixture(make_app):
    return make_app()


@pytest.fixture(name="ssm")
def ssm_fixture(app):
    return ssm_client(app.url)
