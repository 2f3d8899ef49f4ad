"""No request can multiply the service's metric series: paths no route serves share one
label, whoever sends them, and the app still answers them as before."""

import re
import secrets

import httpx

from harness.local_service import LocalService


def series(server: LocalService) -> set[str]:
    text = httpx.get(f"{server.url}/metrics").text
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and line[0] != "#"}


def made_up_paths(count: int) -> list[str]:
    return [f"/{secrets.token_hex(6)}" for _ in range(count)]


def test_made_up_paths_add_no_series_beyond_one_label(
    server: LocalService, client: httpx.Client
) -> None:
    anonymous = httpx.Client(base_url=server.url)
    for path in made_up_paths(10):
        anonymous.get(path)
        client.get(path)
    before = series(server)
    paths = made_up_paths(100)
    answers = {anonymous.get(path).status_code for path in paths}
    answers |= {client.get(path).status_code for path in paths}
    after = series(server)

    # Answered as before: 401 without a key, 404 with one.
    assert answers == {401, 404}
    assert after == before
    endpoints = {match for line in after for match in re.findall(r'endpoint="([^"]*)"', line)}
    assert "/unmatched" in endpoints
    assert not any(path in endpoints for path in paths)


def test_the_service_s_own_routes_keep_their_names(
    server: LocalService, client: httpx.Client
) -> None:
    client.get("/docs.json")
    endpoints = {
        match for line in series(server) for match in re.findall(r'endpoint="([^"]*)"', line)
    }
    assert {"/predict", "/docs.json"} <= endpoints
