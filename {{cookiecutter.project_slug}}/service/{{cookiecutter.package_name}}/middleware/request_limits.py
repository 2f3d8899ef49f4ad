"""Reject bodies the API can never accept before anything parses them: not JSON (415),
larger than the limit (413), or a length header that is not a number (400)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .responses import send_error

JSON_CONTENT_TYPE = b"application/json"


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != JSON_CONTENT_TYPE:
            shown = content_type.decode("latin-1") or "none"
            await send_error(send, 415, f"Content-Type must be application/json, got {shown!r}")
            return
        declared_length = headers.get(b"content-length")
        if declared_length is None:
            # Chunked upload: read it here, up to the limit, and replay it to the app.
            await self.buffer_then_forward(scope, receive, send)
            return
        if not declared_length.isdigit():
            await send_error(send, 400, "Content-Length must be a whole number of bytes")
            return
        if int(declared_length) > self.max_body_bytes:
            await self.reject_too_large(send, int(declared_length))
            return
        await self.app(scope, receive, send)

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
                await self.reject_too_large(send, len(body))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def reject_too_large(self, send: Send, size: int) -> None:
        await send_error(
            send,
            413,
            f"request body of {size} bytes or more exceeds the limit of {self.max_body_bytes} "
            "bytes (SERVICE_MAX_BODY_BYTES); send fewer records per request",
        )
