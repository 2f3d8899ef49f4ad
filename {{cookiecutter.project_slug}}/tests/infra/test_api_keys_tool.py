"""`make api-keys` against a stand-in for the AWS CLI (fake_aws.py): what the tool writes,
and that no key is ever in a command line."""

import importlib
import subprocess
from pathlib import Path

import pytest

import api_keys

from tests.infra.fake_aws import FakeAws
from tests.server_settings import SERVICE

service_keys = importlib.import_module(f"{SERVICE.split('.')[0]}.api_keys")

TOOL = Path(api_keys.__file__)
CANARY_KEY = "c" * 48
WEB_KEY = "w" * 48


@pytest.fixture
def aws(tmp_path: Path) -> FakeAws:
    return FakeAws.holding(tmp_path, {"canary": CANARY_KEY, "web-app": WEB_KEY})


def run(aws: FakeAws, *arguments: str) -> subprocess.CompletedProcess[str]:
    return aws.run(TOOL, ["--secret", "dev/api-keys", "--region", "eu-west-1", *arguments])


def test_list_names_the_clients_only(aws: FakeAws) -> None:
    result = run(aws, "list")
    assert result.stdout.split() == ["canary", "web-app"]
    assert CANARY_KEY not in result.stdout + result.stderr


def test_add_prints_a_new_key_the_service_accepts_and_keeps_the_others(
    aws: FakeAws, tmp_path: Path
) -> None:
    result = run(aws, "add", "nightly-batch")
    new_key = result.stdout.strip()

    assert result.returncode == 0, result.stderr
    assert aws.stored() == {"canary": CANARY_KEY, "web-app": WEB_KEY, "nightly-batch": new_key}
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(aws.secret.read_text())
    assert service_keys.read_api_keys(keys_file)["nightly-batch"] == new_key.encode()
    assert new_key not in aws.command_lines()


def test_revoke_removes_one_client(aws: FakeAws) -> None:
    assert run(aws, "revoke", "web-app").returncode == 0
    assert aws.stored() == {"canary": CANARY_KEY}


def test_rotate_replaces_one_key(aws: FakeAws) -> None:
    new_key = run(aws, "rotate", "canary").stdout.strip()
    assert aws.stored() == {"canary": new_key, "web-app": WEB_KEY}
    assert new_key != CANARY_KEY


@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        (("revoke", "canary"), "rotate it instead"),
        (("add", "web-app"), "already has a key"),
        (("revoke", "nobody"), "has no key; clients: canary, web-app"),
        (("add", "Web App"), "lowercase letters, digits and hyphens"),
        (("add",), "add needs a client name"),
    ],
    ids=["canary", "existing", "unknown", "bad-name", "no-name"],
)
def test_a_refused_change_writes_nothing(
    aws: FakeAws, arguments: tuple[str, ...], refusal: str
) -> None:
    before = aws.stored()
    result = run(aws, *arguments)
    assert result.returncode != 0
    assert refusal in result.stderr
    assert aws.stored() == before
    assert "put-secret-value" not in aws.command_lines()


def test_client_names_follow_the_services_rule() -> None:
    assert api_keys.CLIENT_NAME.pattern == service_keys.CLIENT_NAME.pattern
