import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from {{ cookiecutter.package_name }}.middleware.direct_api import read_body
from {{ cookiecutter.package_name }}.middleware.request_limits import (
    RequestLimitsMiddleware,
)

LIMIT = 1_000


async def echo_length_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, as BentoML does, and answers with its length."""
    body = await read_body(receive) or b""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def client() -> httpx.AsyncClient:
    app = RequestLimitsMiddleware(echo_length_app, max_body_bytes=LIMIT)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def chunks(total: int, size: int = 100):
    async def generate():
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return generate()


JSON = {"Content-Type": "application/json"}


async def test_body_within_the_limit_reaches_the_app() -> None:
    async with client() as http:
        response = await http.post("/predict", content=b"x" * LIMIT, headers=JSON)
    assert (response.status_code, response.text) == (200, str(LIMIT))


async def test_declared_body_over_the_limit_is_413_without_reading_it() -> None:
    async with client() as http:
        response = await http.post("/predict", content=b"x" * (LIMIT + 1), headers=JSON)
    assert response.status_code == 413
    # The limit in bytes, and what to do; never the server's setting name.
    assert f"limit of {LIMIT} bytes; send fewer records" in response.json()["error"]
    assert "SERVICE_" not in response.json()["error"]


async def test_chunked_body_over_the_limit_is_413() -> None:
    async with client() as http:
        response = await http.post("/predict", content=chunks(LIMIT * 5), headers=JSON)
    assert response.status_code == 413


async def test_chunked_body_within_the_limit_is_replayed_whole() -> None:
    async with client() as http:
        response = await http.post("/predict", content=chunks(LIMIT - 1), headers=JSON)
    assert (response.status_code, response.text) == (200, str(LIMIT - 1))


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"],
)
async def test_body_that_is_not_json_is_415_naming_the_type(content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    async with client() as http:
        response = await http.post("/predict", content=json.dumps({}), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


async def test_json_with_charset_is_accepted() -> None:
    async with client() as http:
        response = await http.post(
            "/predict", content=b"{}", headers={"Content-Type": "Application/JSON; charset=utf-8"}
        )
    assert response.status_code == 200


async def test_requests_without_a_body_pass_through() -> None:
    async with client() as http:
        response = await http.get("/livez")
    assert response.status_code == 200


def routed_client() -> httpx.AsyncClient:
    """The middleware in front of a Starlette router, as BentoML runs it."""
    app = Starlette(
        routes=[
            Route("/predict", PlainTextResponse("predicted"), methods=["POST"]),
            Route("/livez", PlainTextResponse("alive"), methods=["GET"]),
        ],
        middleware=[Middleware(RequestLimitsMiddleware, max_body_bytes=LIMIT)],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_method_a_path_does_not_take_is_405_not_a_body_error(method: str) -> None:
    async with routed_client() as http:
        response = await http.request(method, "/livez", content=b"x" * (LIMIT + 1))
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_body_for_an_unknown_path_is_404_not_a_body_error() -> None:
    async with routed_client() as http:
        response = await http.post("/nowhere", content=b"text")
    assert response.status_code == 404


async def test_routed_endpoint_still_gets_its_body_checked() -> None:
    async with routed_client() as http:
        not_json = await http.post("/predict", content=b"text")
        too_large = await http.post("/predict", content=b"x" * (LIMIT + 1), headers=JSON)
        accepted = await http.post("/predict", content=b"{}", headers=JSON)
    assert [not_json.status_code, too_large.status_code, accepted.status_code] == [415, 413, 200]
