"""A small HTTP/1.1 load balancer on loopback: each request goes to the next backend in
its rotation, like a Kubernetes Service's ready endpoints behind an ALB. Backends are
added and withdrawn while it runs; a withdrawn backend gets no new request, and what it
is already answering completes. No retries: a request a backend fails to answer is a
502 for the client, as it would be at an ALB."""

import asyncio
import contextlib
import itertools
import threading

import httpx

# Headers that describe one connection, not the request (RFC 9110, 7.6.1); the proxy
# frames the body itself.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "host",
}
MAX_HEAD_BYTES = 64 * 1024
BACKEND_TIMEOUT_SECONDS = 30


class Rotation:
    """The backends (base URLs) that get new requests, taken in turn. Changed from any
    thread: the tuple is replaced whole, never edited in place."""

    def __init__(self, backends: list[str] | None = None) -> None:
        self.backends: tuple[str, ...] = tuple(backends or ())
        self.turns = itertools.count()

    def add(self, backend: str) -> None:
        if backend not in self.backends:
            self.backends = (*self.backends, backend)

    def withdraw(self, backend: str) -> None:
        self.backends = tuple(member for member in self.backends if member != backend)

    def next_backend(self) -> str | None:
        backends = self.backends
        return backends[next(self.turns) % len(backends)] if backends else None


def response_head(status: int, reason: str, headers: list[tuple[str, str]], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers)]
    lines.append(f"content-length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class RoundRobinProxy:
    def __init__(self, rotation: Rotation) -> None:
        self.rotation = rotation
        self.client: httpx.AsyncClient | None = None
        # Open client connections, closed at shutdown: a server does not close idle
        # keep-alive connections by itself, and would wait on them forever.
        self.connections: set[asyncio.StreamWriter] = set()

    async def handle_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Requests on one client connection, one after the other, each to its own backend."""
        self.connections.add(writer)
        try:
            while await self.relay_one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away, or sent a head too large to be a request of ours
        except ValueError:
            # Not HTTP/1.1 as this proxy speaks it (no colon in a header, no version).
            writer.write(response_head(400, "Bad Request", [], 0))
        finally:
            self.connections.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def relay_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Relay one request; False when the connection is to be closed."""
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head.rstrip("\r\n").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines]
        fields = {name.lower(): value for name, value in headers}
        if "chunked" in fields.get("transfer-encoding", "").lower():
            writer.write(response_head(411, "Length Required", [], 0))
            await writer.drain()
            return False
        body = await reader.readexactly(int(fields.get("content-length", "0")))
        status, reason, response_headers, content = await self.forward(
            method, target, [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP], body
        )
        writer.write(response_head(status, reason, response_headers, len(content)) + content)
        await writer.drain()
        return version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"

    async def forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        backend = self.rotation.next_backend()
        if backend is None:
            return 503, "Service Unavailable", [], b"no backend in rotation\n"
        assert self.client is not None, "serve() creates the client"  # noqa: S101
        try:
            response = await self.client.request(
                method, backend + target, headers=headers, content=body
            )
        except httpx.HTTPError as error:
            return 502, "Bad Gateway", [], f"{backend}: {error!r}\n".encode()
        kept = [(n, v) for n, v in response.headers.multi_items() if n.lower() not in HOP_BY_HOP]
        return response.status_code, response.reason_phrase, kept, response.content

    async def serve(self, port: int, started: threading.Event, stopping: asyncio.Event) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        timeout = httpx.Timeout(BACKEND_TIMEOUT_SECONDS)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as self.client:
            server = await asyncio.start_server(
                self.handle_connection, "127.0.0.1", port, limit=MAX_HEAD_BYTES
            )
            async with server:
                started.set()
                await stopping.wait()
                for connection in list(self.connections):
                    connection.close()


class ProxyThread:
    """The proxy on its own event loop in a background thread, so the harness can change
    its rotation while Locust sends requests through it."""

    def __init__(self, port: int, rotation: Rotation) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.rotation = rotation
        self.proxy = RoundRobinProxy(rotation)
        self.loop = asyncio.new_event_loop()
        self.stopping = asyncio.Event()
        started = threading.Event()
        self.thread = threading.Thread(
            target=self.loop.run_until_complete,
            args=(self.proxy.serve(port, started, self.stopping),),
            name="round-robin-proxy",
            daemon=True,
        )
        self.thread.start()
        if not started.wait(timeout=10):
            raise RuntimeError(f"the proxy did not start listening on {self.url} in 10 s")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=10)
        self.loop.close()
