"""Start-up behaviour: not ready until warmed up, and no start at all with a bad key."""

import time
from pathlib import Path

import bentoml
import httpx
import pytest

from harness.local_service import LocalService
from tests.server_settings import KEYS_SETTING, SERVICE, write_api_keys

# Enough warm-up rounds to keep the server busy for a few seconds on a fast machine.
SLOW_WARMUP_ROUNDS = "40000"


@pytest.fixture
def start_server(stored_model: bentoml.Model, tmp_path):
    servers = []

    def start(settings: dict[str, str]) -> LocalService:
        log = tmp_path / f"server-{len(servers)}.log"
        servers.append(LocalService(SERVICE, log, settings).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_readyz_is_503_while_warming_up_then_200_and_livez_is_200_throughout(start_server) -> None:
    server = start_server({**KEYS_SETTING, "SERVICE_WARMUP_ROUNDS": SLOW_WARMUP_ROUNDS})
    not_ready_during_warm_up = False
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        log_before = server.log()
        readiness = server.readiness()
        if readiness == 200:
            break
        if readiness is not None:
            assert httpx.get(f"{server.url}/livez").status_code == 200
            not_ready_during_warm_up |= readiness == 503 and '"message": "warming up"' in log_before
        time.sleep(0.05)

    assert readiness == 200, server.log()
    assert not_ready_during_warm_up, "never saw /readyz answer 503 while the model warmed up"
    assert '"message": "ready"' in server.log()


@pytest.mark.parametrize(
    ("keys", "named"),
    [
        ({}, "SERVICE_API_KEYS_FILE: is not set"),
        ({"client": "too-short"}, "the key of client 'client' is not a string of at least 32"),
    ],
    ids=["no-keys-file", "short-key"],
)
def test_service_without_a_usable_key_never_serves(
    start_server, tmp_path: Path, keys: dict[str, str], named: str
) -> None:
    settings = {}
    if keys:
        settings["SERVICE_API_KEYS_FILE"] = str(write_api_keys(tmp_path / "keys.json", keys))
    server = start_server(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and named not in server.log():
        assert server.readiness() != 200
        time.sleep(0.2)

    assert named in server.log()
    assert "too-short" not in server.log()
    assert server.readiness() != 200
