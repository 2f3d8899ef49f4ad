"""Swagger UI runs no third-party script: every response carries a Content-Security-Policy
that lets scripts come from this origin only, and the page BentoML serves loads all it
needs from there. Checked against the real server."""

import re

import httpx
import pytest

from harness.local_service import LocalService

# Where BentoML's page would fetch Google Tag Manager from.
TAG_MANAGER = "googletagmanager.com"


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = response.headers["content-security-policy"].split(";")
    return {name: values for name, *values in (d.split() for d in directives if d.strip())}


def test_swagger_ui_may_run_only_this_origin_s_scripts(server: LocalService) -> None:
    page = httpx.get(f"{server.url}/")
    directives = policy(page)

    assert page.status_code == 200
    # BentoML's page embeds the tag manager inline; the policy keeps it from running.
    assert TAG_MANAGER in page.text
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-src"] == ["'none'"]
    assert TAG_MANAGER not in page.headers["content-security-policy"]


def test_the_page_loads_everything_it_needs_from_this_origin(server: LocalService) -> None:
    page = httpx.get(f"{server.url}/").text
    without_tag_manager = re.sub(
        r"<!-- Google Tag Manager.*?End Google Tag Manager[^>]*>", "", page, flags=re.S
    )
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', without_tag_manager)

    assert sources, "the page loads no script or style"
    assert all(source.startswith("./static_content/") for source in sources), sources
    for source in sources:
        assert httpx.get(f"{server.url}/{source.removeprefix('./')}").status_code == 200, source
    # Swagger UI starts from a file, not an inline script the policy would block.
    assert re.findall(r"<script>", without_tag_manager) == []


@pytest.mark.parametrize(
    ("method", "path", "authorized"),
    [("POST", "/predict", True), ("POST", "/predict", False), ("GET", "/nowhere", True)],
    ids=["answered", "refused", "not-found"],
)
def test_every_response_carries_the_security_headers(
    server: LocalService, client: httpx.Client, method: str, path: str, authorized: bool
) -> None:
    send = client.request if authorized else httpx.Client(base_url=server.url).request
    response = send(method, path, json={"records": []})

    assert policy(response)["script-src"] == ["'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
