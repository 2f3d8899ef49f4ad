"""The running server refuses oversized and slow request heads before the app sees them,
and leaves idle keep-alive connections to the keep-alive timeout (the ALB pools them)."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import bentoml
import pytest

from {{ cookiecutter.package_name }}.http_limits import (
    HEAD_TIMEOUT_SECONDS,
    MAX_HEAD_BYTES,
)

import cloud.service_pod as service_pod
from harness.local_service import LocalService, running
from tests.server_settings import KEYS_SETTING, SERVICE

MARGIN_SECONDS = 3


@pytest.fixture(scope="module")
def server(stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory):
    """Served with the pod's own arguments: its keep-alive timeout outlasts the ALB's."""
    arguments = tuple(argument for argument in service_pod.SERVE_ARGUMENTS if argument != "serve")
    log = tmp_path_factory.mktemp("limits") / "server.log"
    with running(SERVICE, log, settings=KEYS_SETTING, arguments=arguments) as pod_like:
        yield pod_like


def connect(server: LocalService) -> socket.socket:
    address = urlsplit(server.url)
    return socket.create_connection((address.hostname, address.port), timeout=30)


def head(path: str = "/readyz", **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def response(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes, or the first response if it keeps open."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
        if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
            break
    return received


def status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def test_a_head_over_the_limit_is_431_and_one_within_it_is_served(server: LocalService) -> None:
    with connect(server) as oversized:
        oversized.sendall(head(**{"X-Padding": "a" * MAX_HEAD_BYTES}))
        refused = response(oversized)
    with connect(server) as within:
        within.sendall(head(**{"X-Padding": "a" * (MAX_HEAD_BYTES - 1024)}))
        served = response(within)

    assert status(refused) == 431
    assert b"request headers exceed" in refused
    assert status(served) == 200


def test_a_header_that_never_ends_is_cut_off(server: LocalService) -> None:
    """Without the limit the server takes all of it (a 300 MB header grew a worker by
    600 MiB); with it, the connection closes after the limit and what the socket
    buffers hold."""
    endless = 64 * 1024 * 1024
    sent = 0
    with connect(server) as connection:
        connection.sendall(b"GET /readyz HTTP/1.1\r\nHost: test\r\nX-Padding: ")
        try:
            while sent < endless:
                connection.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < endless


def slow_head(server: LocalService) -> tuple[bytes, float]:
    # Timed from before the connection opens: the server's deadline runs from its side of
    # the opening, which a clock started after connect() would miss by the handshake.
    started = time.monotonic()
    with connect(server) as connection:
        connection.sendall(b"GET /readyz HTTP/1.1\r\nHost: te")
        received = response(connection)
        return received, time.monotonic() - started


def idle_keep_alive(server: LocalService) -> tuple[int, int]:
    """A request, an idle pause longer than the head deadline, a second request."""
    with connect(server) as connection:
        connection.sendall(head())
        first = status(response(connection))
        time.sleep(HEAD_TIMEOUT_SECONDS + MARGIN_SECONDS)
        connection.sendall(head())
        return first, status(response(connection))


def test_a_slow_head_is_408_at_the_deadline_and_an_idle_pooled_connection_stays_open(
    server: LocalService,
) -> None:
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(slow_head, server)
        idle = pool.submit(idle_keep_alive, server)
        (refused, seconds), statuses = slow.result(), idle.result()

    assert status(refused) == 408
    assert HEAD_TIMEOUT_SECONDS <= seconds < HEAD_TIMEOUT_SECONDS + MARGIN_SECONDS
    assert statuses == (200, 200)
