"""A key revoked while the service runs stops working within the reload interval, on
a worker, without a restart: the file changes as the kubelet changes a mounted
secret (a new directory, then one atomic swap of the `..data` link)."""

import os
import secrets
import time
from pathlib import Path

import bentoml
import httpx

from {{ cookiecutter.package_name }}.api_keys import RELOAD_SECONDS

from harness.local_service import running
from tests.server_settings import SERVICE, write_api_keys

KEYS_FILE = "api-keys.json"
REQUESTS_PER_CHECK = 20


def publish(volume: Path, keys: dict[str, str]) -> Path:
    """Write `keys` the way the kubelet updates a secret volume; returns the file's path."""
    version = volume / f"..{time.time_ns()}"
    version.mkdir()
    write_api_keys(version / KEYS_FILE, keys)
    (volume / "..data_tmp").symlink_to(version.name)
    os.replace(volume / "..data_tmp", volume / "..data")
    path = volume / KEYS_FILE
    if not path.is_symlink():
        path.symlink_to(f"..data/{KEYS_FILE}")
    return path


def statuses(url: str, key: str) -> set[int]:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        return {
            client.post("/predict", json={"records": []}).status_code
            for _ in range(REQUESTS_PER_CHECK)
        }


def test_a_revoked_key_is_refused_by_the_running_server_and_the_others_still_work(
    stored_model: bentoml.Model, tmp_path: Path
) -> None:
    web_app, canary = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    volume = tmp_path / "secret-volume"
    volume.mkdir()
    keys_file = publish(volume, {"web-app": web_app, "canary": canary})
    # One worker, so the worker that answered before the revocation is the one that must
    # follow it (each worker re-reads the file the same way, on its own).
    settings = {"SERVICE_API_KEYS_FILE": str(keys_file), "SERVICE_WORKERS": "1"}
    with running(SERVICE, tmp_path / "server.log", settings=settings) as server:
        # An empty batch is a 400 for a valid key and a 401 for any other.
        assert statuses(server.url, web_app) == {400}

        publish(volume, {"canary": canary})
        time.sleep(RELOAD_SECONDS + 0.5)

        assert statuses(server.url, web_app) == {401}
        assert statuses(server.url, canary) == {400}
        assert server.process.poll() is None
        assert '"message": "API keys reloaded"' in server.log()
        assert web_app not in server.log()
