import httpx
import pytest
from starlette.types import Receive, Scope, Send

from {{ cookiecutter.package_name }}.api_keys import ApiKeys
from {{ cookiecutter.package_name }}.middleware.api_key import ApiKeyMiddleware

from tests.server_settings import API_KEYS_DIRECTORY, write_api_keys

CURRENT = b"current-key-" + b"c" * 32
PREVIOUS = b"previous-key-" + b"p" * 32
KEYS_FILE = write_api_keys(
    API_KEYS_DIRECTORY / "middleware-test-keys.json",
    {"current": CURRENT.decode(), "previous": PREVIOUS.decode()},
)


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the client the middleware named."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(scope.get("api_client")).encode()})


def client() -> httpx.AsyncClient:
    app = ApiKeyMiddleware(ok_app, keys=ApiKeys(KEYS_FILE))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.parametrize("key", [CURRENT, PREVIOUS], ids=["current", "previous"])
async def test_each_key_is_accepted_and_names_its_client(key: bytes) -> None:
    async with client() as http:
        response = await http.post("/predict", headers={"Authorization": f"Bearer {key.decode()}"})
    assert response.status_code == 200
    assert response.text == key.decode().split("-")[0]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {CURRENT.decode()}",
        f"Bearer {CURRENT.decode()}x",
        f"Bearer {CURRENT.decode()[:-1]}",
        "Bearer wrong",
    ],
    ids=[
        "absent",
        "empty",
        "scheme-only",
        "scheme-and-space",
        "basic",
        "longer",
        "shorter",
        "wrong",
    ],
)
async def test_missing_or_wrong_key_is_401(authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with client() as http:
        response = await http.post("/predict", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <key>" in response.json()["error"]


async def test_scheme_is_case_insensitive() -> None:
    async with client() as http:
        response = await http.post(
            "/predict", headers={"Authorization": f"bearer {CURRENT.decode()}"}
        )
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/metrics", "/docs.json", "/"])
async def test_probes_metrics_and_docs_need_no_key(path: str) -> None:
    async with client() as http:
        response = await http.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/predict", "/a-future-endpoint", "/livez/../predict", "/metricsx"]
)
async def test_any_other_path_needs_a_key(path: str) -> None:
    async with client() as http:
        response = await http.get(path)
    assert response.status_code == 401
