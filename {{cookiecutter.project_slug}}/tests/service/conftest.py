"""A real server for the HTTP tests, with small limits so they are cheap to hit."""

import secrets
from collections.abc import Iterator

import bentoml
import httpx
import pytest

from tests.running_server import RunningServer

API_KEY = secrets.token_urlsafe(32)
PREVIOUS_API_KEY = secrets.token_urlsafe(32)
MAX_BATCH_SIZE = 50
MAX_BODY_BYTES = 16_384


@pytest.fixture(scope="session")
def server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = RunningServer(
        {
            "SERVICE_API_KEY": API_KEY,
            "SERVICE_API_KEY_PREVIOUS": PREVIOUS_API_KEY,
            "SERVICE_MAX_BATCH_SIZE": str(MAX_BATCH_SIZE),
            "SERVICE_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        },
        tmp_path_factory.mktemp("server") / "server.log",
    )
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    """An authenticated client."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as authenticated:
        yield authenticated
