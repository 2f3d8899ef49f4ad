"""Overload and slowness get answers, not 5xx: 429 with Retry-After beyond the concurrency
limit while probes and metrics keep answering, and 504 soon after the request timeout."""

import asyncio
import time
from collections.abc import Iterator

import bentoml
import httpx
import pytest

from harness.local_service import LocalService, running
from tests.records import EXAMPLE as RECORD
from tests.server_settings import API_KEY, FAULTY_SERVICE, KEYS_SETTING

MAX_CONCURRENCY = 2
TIMEOUT_SECONDS = 2
HEADERS = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def slow_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    settings = {
        **KEYS_SETTING,
        # One worker: the limit is then exactly MAX_CONCURRENCY in one process.
        "SERVICE_WORKERS": "1",
        "SERVICE_MAX_CONCURRENCY": str(MAX_CONCURRENCY),
        "SERVICE_REQUEST_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "FAULT_ERROR_RATIO": "0",
        "FAULT_LATENCY_MS": "0",
    }
    log = tmp_path_factory.mktemp("slow") / "server.log"
    with running(FAULTY_SERVICE, log, settings=settings) as server:
        yield server


async def predict(client: httpx.AsyncClient, latency_ms: int) -> httpx.Response:
    return await client.post(
        "/predict",
        json={"records": [RECORD]},
        headers={**HEADERS, "X-Fault-Latency-Ms": str(latency_ms)},
    )


async def test_requests_beyond_the_limit_get_429_with_retry_after_while_probes_answer(
    slow_server: LocalService,
) -> None:
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=10) as client:
        held = [asyncio.create_task(predict(client, 1500)) for _ in range(MAX_CONCURRENCY)]
        await asyncio.sleep(0.5)
        refused = await asyncio.gather(*(predict(client, 0) for _ in range(4)))
        probes = await asyncio.gather(
            *(client.get(path) for path in ("/livez", "/readyz", "/metrics"))
        )
        served = await asyncio.gather(*held)

    assert [response.status_code for response in served] == [200] * MAX_CONCURRENCY
    assert {response.status_code for response in refused} == {429}
    assert all(response.headers["retry-after"] == "1" for response in refused)
    assert "retry" in refused[0].json()["error"]
    assert [response.status_code for response in probes] == [200, 200, 200]


async def test_capacity_returns_once_the_held_requests_finish(slow_server: LocalService) -> None:
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=10) as client:
        await asyncio.gather(*(predict(client, 300) for _ in range(MAX_CONCURRENCY)))
        after = await predict(client, 0)
    assert after.status_code == 200


async def test_a_request_over_the_timeout_gets_504_within_a_second_of_it(
    slow_server: LocalService,
) -> None:
    async with httpx.AsyncClient(base_url=slow_server.url, timeout=30) as client:
        started = time.monotonic()
        response = await predict(client, (TIMEOUT_SECONDS + 5) * 1000)
        elapsed = time.monotonic() - started

    assert response.status_code == 504
    assert TIMEOUT_SECONDS <= elapsed <= TIMEOUT_SECONDS + 1
