"""Limits on a request's head (request line and headers), which uvicorn's httptools
protocol does not have: no size limit (a 300 MB header grew a worker by 600 MiB) and no
deadline (a client sending a header a byte at a time held a connection indefinitely).
Nothing in the app can help, because the head is parsed before the app sees a request.

BentoML builds each worker's uvicorn server itself, after importing the service module,
and picks the protocol class from uvicorn's table of names; install() puts this class in
that table. Idle keep-alive connections are left to uvicorn's keep-alive timeout, which
must outlast the ALB's idle timeout (infra/cloud/service_pod.py)."""

import asyncio
import json

import uvicorn.config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# The ALB's own limit on a request's headers, so nothing it forwards is refused here.
MAX_HEAD_BYTES = 64 * 1024
# From a connection's opening, or a request's first byte, to the end of its headers.
HEAD_TIMEOUT_SECONDS = 10.0


def error_response(status: str, message: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


TOO_LARGE = error_response(
    "431 Request Header Fields Too Large", f"request headers exceed {MAX_HEAD_BYTES} bytes"
)
TOO_SLOW = error_response(
    "408 Request Timeout", f"request headers not received within {HEAD_TIMEOUT_SECONDS:g} s"
)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a head over MAX_HEAD_BYTES (431) or not
    complete within HEAD_TIMEOUT_SECONDS (408), before any request reaches the app."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading_head = False
        self.head_bytes = 0
        self.head_deadline: asyncio.TimerHandle | None = None
        self.refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.start_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        inside_head_before = self.reading_head
        super().data_received(data)
        # A chunk that starts and ends inside one head is all head bytes; the chunk where
        # a head starts or ends may carry body bytes, and on_headers_complete counts it.
        if inside_head_before and self.reading_head and not self.refused:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self.refuse(TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading_head = True
        self.head_bytes = 0
        self.start_head_deadline()

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self.stop_head_deadline()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEAD_BYTES:
            self.refuse(TOO_LARGE)
            return  # no request cycle, so the app never sees it
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.refused:
            super().on_message_complete()

    def start_head_deadline(self) -> None:
        self.stop_head_deadline()
        self.head_deadline = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self.head_too_slow)

    def stop_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def head_too_slow(self) -> None:
        self.head_deadline = None
        if self.transport.is_closing():
            return
        if self.reading_head:
            self.refuse(TOO_SLOW)
        else:
            self.transport.close()  # opened, and nothing sent

    def refuse(self, response: bytes) -> None:
        self.refused = True
        self.reading_head = False
        self.stop_head_deadline()
        self.transport.write(response)
        self.transport.close()


def install() -> None:
    """Make every uvicorn server this process builds use LimitedHttpToolsProtocol."""
    for name in ("auto", "httptools"):
        uvicorn.config.HTTP_PROTOCOLS[name] = LimitedHttpToolsProtocol  # type: ignore[assignment]
