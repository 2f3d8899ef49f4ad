"""The service the tests serve, and the settings the shared test server runs with: small
limits, so they are cheap to hit, and a keys file with two clients."""

import json
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

SERVICE = "{{ cookiecutter.package_name }}.service:Classifier"
FAULTY_SERVICE = "tests.faulty_service:Classifier"

API_KEY = secrets.token_urlsafe(32)
OTHER_CLIENT_API_KEY = secrets.token_urlsafe(32)
MAX_BATCH_SIZE = 50
MAX_BODY_BYTES = 16_384


def write_api_keys(path: Path, keys: Mapping[str, str]) -> Path:
    """A keys file as the service reads it, readable by its owner only."""
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(dict(keys)))
    return path


API_KEYS_DIRECTORY = Path(tempfile.mkdtemp(prefix="api-keys-"))
API_KEYS_FILE = str(
    write_api_keys(
        API_KEYS_DIRECTORY / "api-keys.json",
        {"tests": API_KEY, "other-client": OTHER_CLIENT_API_KEY},
    )
)
# What every test server gets to authenticate its clients.
KEYS_SETTING = {"SERVICE_API_KEYS_FILE": API_KEYS_FILE}
