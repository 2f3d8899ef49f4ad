"""A request id for every request, echoed in the response with the security headers
(security_headers.py), set on the request's trace span when tracing is on, and one JSON
access line."""

import logging
import re
import secrets
import time

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..json_logging import REQUEST_ID, AccessLog
from ..tracing import REQUEST_ID_ATTRIBUTE
from .security_headers import SECURITY_HEADERS

access_log = AccessLog(__name__)

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept only if it is short and plain, so it cannot forge log fields.
VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
# Probes and scrapes arrive every few seconds; log them only at DEBUG.
QUIET_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


def new_request_id() -> str:
    """32 random hex digits, like a UUID4's hex without building a UUID object."""
    return secrets.token_hex(16)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"")
        request_id = incoming.decode() if VALID_REQUEST_ID.fullmatch(incoming) else new_request_id()
        token = REQUEST_ID.set(request_id)
        # BentoML's span for this request, when tracing is on (tracing.py).
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
        # The trace id in the access line of a request whose trace is sent: logs lead to it.
        span_context = span.get_span_context()
        trace_fields = (
            {"trace_id": format(span_context.trace_id, "032x")}
            if span_context.trace_flags.sampled
            else {}
        )
        status = 500  # stays 500 if the app fails before it starts a response
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode()),
                    *SECURITY_HEADERS,
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            access_log.log(
                logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO,
                "request served",
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    # Whose key was presented (api_key.py); null on public paths and for a bad key.
                    "client": scope.get("api_client"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    **trace_fields,
                },
            )
            REQUEST_ID.reset(token)
