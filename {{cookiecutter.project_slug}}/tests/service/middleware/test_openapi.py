import json

import httpx
from starlette.types import Receive, Scope, Send

from {{ cookiecutter.package_name }}.middleware.openapi import (
    DOCUMENT_PATH,
    OpenApiDocumentMiddleware,
)
from {{ cookiecutter.package_name }}.openapi_document import OPENAPI_VERSION

GENERATED = {
    "openapi": "3.0.2",
    "paths": {"/livez": {"get": {"responses": {"200": {"description": "alive"}}}}},
    "components": {
        "schemas": {"TrueLabel": {"properties": {"label": {"type": "string"}}}},
    },
}
CLASSES = ("class-a", "class-b")


class DocumentApp:
    """Stands in for BentoML: serves GENERATED (or fails) and counts the requests it gets."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append((scope["method"], scope["path"]))
        body = json.dumps(GENERATED if self.status == 200 else {"error": "failed"}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def client(app: DocumentApp) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=OpenApiDocumentMiddleware(app, classes=lambda: CLASSES))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_document_is_served_corrected_and_generated_only_once() -> None:
    app = DocumentApp()
    async with client(app) as http:
        first, second = await http.get(DOCUMENT_PATH), await http.get(DOCUMENT_PATH)
    assert first.json()["openapi"] == OPENAPI_VERSION
    assert first.json()["paths"]["/livez"]["get"]["responses"]["200"]["content"]
    assert second.content == first.content
    assert app.calls == [("GET", DOCUMENT_PATH)]


async def test_feedback_labels_are_the_served_models_classes() -> None:
    async with client(DocumentApp()) as http:
        document = (await http.get(DOCUMENT_PATH)).json()
    label = document["components"]["schemas"]["TrueLabel"]["properties"]["label"]
    assert label == {"type": "string", "enum": list(CLASSES)}


async def test_head_announces_the_corrected_length_without_a_body() -> None:
    async with client(DocumentApp()) as http:
        head, get = await http.head(DOCUMENT_PATH), await http.get(DOCUMENT_PATH)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(get.content))


async def test_failure_to_generate_is_passed_on_and_retried_next_time() -> None:
    app = DocumentApp(status=500)
    async with client(app) as http:
        response = await http.get(DOCUMENT_PATH)
        app.status = 200
        retried = await http.get(DOCUMENT_PATH)
    assert response.status_code == 500
    assert retried.json()["openapi"] == OPENAPI_VERSION


async def test_other_requests_pass_through_untouched() -> None:
    app = DocumentApp()
    async with client(app) as http:
        response = await http.get("/livez")
        posted = await http.post(DOCUMENT_PATH)
    assert response.json() == GENERATED
    assert posted.json() == GENERATED
    assert app.calls == [("GET", "/livez"), ("POST", DOCUMENT_PATH)]
