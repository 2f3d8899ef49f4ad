"""Refuse work beyond the concurrency limit at once, with 429 and Retry-After, instead of
queueing it behind requests that are already late. Probes and metrics are never refused:
an overloaded pod is busy, not dead, and must not be restarted or lose its metrics.

This replaces BentoML's own limiter, whose 429 carries no Retry-After and is answered
before the request id and access log exist."""

from http import HTTPStatus

from starlette.types import ASGIApp, Receive, Scope, Send

from .responses import send_error

ALWAYS_ANSWERED = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})
REFUSED = HTTPStatus.TOO_MANY_REQUESTS
# Requests here finish in milliseconds: a second is long enough for capacity to return.
RETRY_AFTER_SECONDS = 1


class ConcurrencyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_concurrency: int) -> None:
        self.app = app
        self.max_concurrency = max_concurrency
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in ALWAYS_ANSWERED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_concurrency:
            await send_error(
                send,
                REFUSED,
                f"more than {self.max_concurrency} requests in progress; retry shortly",
                headers=((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),),
            )
            return
        # One event loop per worker: the counter needs no lock, only no await in between.
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
