"""The proxy in front of two real HTTP servers: requests in turn, withdrawal, re-entry,
and the 502/503 a client sees when no backend can answer."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from harness.local_service import free_port
from harness.round_robin_proxy import ProxyThread, Rotation


class NamedHandler(BaseHTTPRequestHandler):
    """Answers with its server's name; echoes a POST body after it."""

    protocol_version = "HTTP/1.1"  # keep-alive, as BentoML's server does

    def do_GET(self) -> None:
        self.answer(b"")

    def do_POST(self) -> None:
        self.answer(self.rfile.read(int(self.headers["Content-Length"])))

    def answer(self, body: bytes) -> None:
        content = self.server.name.encode() + body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("X-Backend", self.server.name)  # type: ignore[attr-defined]
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *_) -> None:
        pass


@pytest.fixture
def backends() -> Iterator[dict[str, str]]:
    """Two servers named a and b, by name: their URLs."""
    servers = {}
    for name in ("a", "b"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), NamedHandler)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers[name] = server
    yield {name: f"http://127.0.0.1:{server.server_port}" for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture
def rotation(backends: dict[str, str]) -> Iterator[Rotation]:
    yield Rotation([backends["a"], backends["b"]])


@pytest.fixture
def client(rotation: Rotation) -> Iterator[httpx.Client]:
    """One keep-alive connection to the proxy, as a Locust user keeps."""
    proxy = ProxyThread(free_port(), rotation)
    with httpx.Client(base_url=proxy.url, timeout=5) as connected:
        yield connected
    proxy.stop()


def answered_by(client: httpx.Client, count: int) -> str:
    return "".join(client.get("/").text for _ in range(count))


def test_requests_on_one_connection_go_to_the_backends_in_turn(client: httpx.Client) -> None:
    assert answered_by(client, 6) in {"ababab", "bababa"}


def test_a_withdrawn_backend_gets_no_request_until_it_is_added_again(
    client: httpx.Client, rotation: Rotation, backends: dict[str, str]
) -> None:
    rotation.withdraw(backends["a"])
    assert answered_by(client, 4) == "bbbb"

    rotation.add(backends["a"])
    assert sorted(answered_by(client, 4)) == ["a", "a", "b", "b"]


def test_bodies_headers_and_statuses_pass_through_unchanged(client: httpx.Client) -> None:
    body = b'{"records": [' + b"1.5, " * 2000 + b"2]}"

    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 200
    assert response.content[1:] == body
    assert response.headers["X-Backend"] == response.text[0]


def test_an_empty_rotation_answers_503(client: httpx.Client, rotation: Rotation) -> None:
    for backend in rotation.backends:
        rotation.withdraw(backend)

    assert client.get("/").status_code == 503


def test_a_backend_that_is_down_is_a_502_for_the_client(
    client: httpx.Client, rotation: Rotation, backends: dict[str, str]
) -> None:
    """No retries: what a client of the load balancer would see is what is counted."""
    rotation.withdraw(backends["a"])
    rotation.withdraw(backends["b"])
    rotation.add(f"http://127.0.0.1:{free_port()}")

    response = client.get("/")

    assert response.status_code == 502
    assert "ConnectError" in response.text
