"""Reject bodies the API can never accept before anything parses them: not JSON (415),
larger than the limit (413), or a length header that is not a number (400)."""

from http import HTTPStatus

from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .responses import send_error

JSON_CONTENT_TYPE = b"application/json"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# The answers this middleware gives; the OpenAPI document declares the same on every
# operation that takes a body.
NOT_JSON = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
BAD_LENGTH = HTTPStatus.BAD_REQUEST


def routes_to_an_endpoint(scope: Scope) -> bool:
    """Whether the router hands this request to an endpoint that takes its method. Any
    other request it answers itself (404, or 405 with `Allow`) without reading the body,
    and that is the true answer: a 415 for `PUT /livez` would blame the wrong thing."""
    router = getattr(scope.get("app"), "router", None)
    if router is None:
        return True  # not behind a Starlette router: guard every request
    return any(
        isinstance(route, Route) and route.matches(scope)[0] is Match.FULL
        for route in router.routes
    )


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        problem = self.header_problem(headers)
        # Routing is only checked on the way to a rejection, so valid requests pay nothing.
        if problem is not None and routes_to_an_endpoint(scope):
            await send_error(send, *problem)
        elif problem is None and b"content-length" not in headers and routes_to_an_endpoint(scope):
            # Chunked upload: read it here, up to the limit, and replay it to the app.
            await self.buffer_then_forward(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def header_problem(self, headers: dict[bytes, bytes]) -> tuple[HTTPStatus, str] | None:
        """(status, message) for a body the headers already rule out, else None."""
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != JSON_CONTENT_TYPE:
            shown = content_type.decode("latin-1") or "none"
            return NOT_JSON, f"Content-Type must be application/json, got {shown!r}"
        declared_length = headers.get(b"content-length")
        if declared_length is None:
            return None
        if not declared_length.isdigit():
            return BAD_LENGTH, "Content-Length must be a whole number of bytes"
        if int(declared_length) > self.max_body_bytes:
            return TOO_LARGE, self.too_large_message(int(declared_length))
        return None

    async def buffer_then_forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await send_error(send, TOO_LARGE, self.too_large_message(len(body)))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    def too_large_message(self, size: int) -> str:
        return (
            f"request body of {size} bytes or more exceeds the limit of {self.max_body_bytes} "
            "bytes; send fewer records per request"
        )
