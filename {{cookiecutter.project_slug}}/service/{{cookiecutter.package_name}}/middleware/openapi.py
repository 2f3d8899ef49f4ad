"""Serve /docs.json as BentoML generates it, corrected by `openapi_document` to say what the
service really does. Swagger UI (`/`) and API clients read this document."""

import json
from collections.abc import Callable
from typing import Any

import bentoml
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..openapi_document import corrected_document

DOCUMENT_PATH = "/docs.json"


def served_classes() -> tuple[str, ...]:
    """The classes of the model this worker serves: the labels POST /feedback takes."""
    return bentoml.get_current_service().model.class_names


class OpenApiDocumentMiddleware:
    def __init__(
        self, app: ASGIApp, classes: Callable[[], tuple[str, ...]] = served_classes
    ) -> None:
        self.app = app
        self.classes = classes
        # Built on first request, once per worker: the service's routes never change.
        self.document: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != DOCUMENT_PATH
            or scope["method"] not in {"GET", "HEAD"}
        ):
            await self.app(scope, receive, send)
            return
        if self.document is None:
            generated = await self.generated_document(scope, receive)
            if generated is None:
                # BentoML could not build its document: let its own error answer.
                await self.app(scope, receive, send)
                return
            document = corrected_document(generated, self.classes())
            self.document = json.dumps(document).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.document)).encode()),
                ],
            }
        )
        body = self.document if scope["method"] == "GET" else b""
        await send({"type": "http.response.body", "body": body})

    async def generated_document(self, scope: Scope, receive: Receive) -> dict[str, Any] | None:
        """BentoML's own document, read from the app it wraps; None if it answered an error."""
        status = 0
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app({**scope, "method": "GET"}, receive, capture)
        return json.loads(b"".join(chunks)) if status == 200 else None
