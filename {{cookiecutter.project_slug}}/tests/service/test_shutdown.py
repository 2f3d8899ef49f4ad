"""Stopping and crashing lose nothing: SIGTERM drains (ready 503 at once, in-flight work
finishes, then connections are refused), idle connections outlive a load balancer's, and
a killed worker is caught by liveness and recovered by a restart."""

import asyncio
import http.client
import os
import signal
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager

import bentoml
import httpx
import psutil
import pytest

from harness.local_service import LocalService, running
from tests.records import EXAMPLE as RECORD
from tests.server_settings import API_KEY, FAULTY_SERVICE, KEYS_SETTING

DRAIN_SECONDS = 2
GRACEFUL_SHUTDOWN_SECONDS = 10
KEEP_ALIVE_SECONDS = 2


def serving(
    tmp_path_factory: pytest.TempPathFactory, name: str, **settings: str
) -> AbstractContextManager[LocalService]:
    """The faulty service without faults (a request may ask to be slow), started with the
    keep-alive and graceful-shutdown options the pod passes."""
    return running(
        FAULTY_SERVICE,
        tmp_path_factory.mktemp(name) / "server.log",
        settings={
            **KEYS_SETTING,
            "FAULT_ERROR_RATIO": "0",
            "FAULT_LATENCY_MS": "0",
            **settings,
        },
        arguments=(
            f"--timeout-keep-alive={KEEP_ALIVE_SECONDS}",
            f"--timeout-graceful-shutdown={GRACEFUL_SHUTDOWN_SECONDS}",
        ),
    )


@pytest.fixture(scope="module")
def draining_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    drain = {"SERVICE_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    with serving(tmp_path_factory, "draining", **drain) as server:
        yield server


def test_an_idle_connection_is_kept_for_the_configured_time_then_closed(
    draining_server: LocalService,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", draining_server.port, timeout=5)

    def get_livez() -> int:
        connection.request("GET", "/livez")
        response = connection.getresponse()
        response.read()
        return response.status

    try:
        assert get_livez() == 200
        first_socket = connection.sock
        time.sleep(KEEP_ALIVE_SECONDS / 2)
        assert get_livez() == 200
        assert connection.sock is first_socket, "the idle connection should have been reused"
        time.sleep(KEEP_ALIVE_SECONDS + 1.5)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            get_livez()
    finally:
        connection.close()


async def test_sigterm_drains_in_flight_requests_and_reports_not_ready_at_once(
    draining_server: LocalService,
) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}", "X-Fault-Latency-Ms": "1500"}
    async with httpx.AsyncClient(base_url=draining_server.url, timeout=30) as client:
        in_flight = [
            asyncio.create_task(
                client.post("/predict", json={"records": [RECORD]}, headers=headers)
            )
            for _ in range(4)
        ]
        await asyncio.sleep(0.3)
        # Kubernetes signals the container's first process: `bentoml serve`.
        draining_server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await asyncio.sleep(0.2)
        async with httpx.AsyncClient(base_url=draining_server.url, timeout=2) as fresh:
            readiness_during_drain = (await fresh.get("/readyz")).status_code
        finished = await asyncio.gather(*in_flight)

    exit_code = await asyncio.to_thread(draining_server.process.wait, 30)
    stopped_after = time.monotonic() - signalled

    assert readiness_during_drain == 503
    assert [response.status_code for response in finished] == [200] * 4
    assert exit_code == 0
    assert stopped_after <= DRAIN_SECONDS + GRACEFUL_SHUTDOWN_SECONDS
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{draining_server.url}/livez", timeout=2)


@pytest.fixture
def containerized_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    # As in the image: BentoML does not respawn a worker that dies.
    with serving(
        tmp_path_factory, "containerized", BENTOML_CONTAINERIZED="true", SERVICE_WORKERS="1"
    ) as server:
        yield server


def test_one_killed_worker_of_two_fails_liveness_though_the_other_still_answers(
    tmp_path_factory: pytest.TempPathFactory, stored_model: bentoml.Model
) -> None:
    with serving(
        tmp_path_factory, "two-workers", BENTOML_CONTAINERIZED="true", SERVICE_WORKERS="2"
    ) as server:
        workers = psutil.Process(server.process.pid).children()
        assert len(workers) == 2
        assert httpx.get(f"{server.url}/livez", timeout=2).status_code == 200

        os.kill(workers[0].pid, signal.SIGKILL)
        psutil.wait_procs(workers[:1], timeout=10)

        assert httpx.get(f"{server.url}/livez", timeout=2).status_code == 503
        readiness = httpx.get(f"{server.url}/readyz", timeout=2).status_code
    # Serving goes on while the kubelet counts its three liveness failures.
    assert readiness == 200


def test_a_killed_worker_fails_liveness_and_a_restart_recovers(
    containerized_server: LocalService, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workers = psutil.Process(containerized_server.process.pid).children()
    assert workers, "bentoml serve should run its workers as child processes"
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
    psutil.wait_procs(workers, timeout=10)

    # The kubelet's liveness probe: one second to answer, or it counts as a failure.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{containerized_server.url}/livez", timeout=1)

    # After three failures the kubelet restarts the container: the same command again.
    containerized_server.stop()
    with serving(
        tmp_path_factory, "restarted", BENTOML_CONTAINERIZED="true", SERVICE_WORKERS="1"
    ) as restarted:
        response = httpx.post(
            f"{restarted.url}/predict",
            json={"records": [RECORD]},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )
    assert response.status_code == 200
