"""`make api-keys` against a stand-in for the AWS CLI that keeps the secret in a file
and records every command line: what the tool writes, and that no key is ever in a
command line."""

import importlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import api_keys

from tests.server_settings import SERVICE

service_keys = importlib.import_module(f"{SERVICE.split('.')[0]}.api_keys")

TOOL = Path(api_keys.__file__)
FAKE_AWS = """#!{python}
import json, os, sys
arguments = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(arguments) + "\\n")
secret = os.environ["FAKE_SECRET_FILE"]
if arguments[1] == "get-secret-value":
    print(open(secret).read())
elif arguments[1] == "put-secret-value":
    assert arguments[arguments.index("--secret-string") + 1] == "file:///dev/stdin"
    open(secret, "w").write(sys.stdin.read())
"""
CANARY_KEY = "c" * 48
WEB_KEY = "w" * 48


@pytest.fixture
def aws(tmp_path: Path) -> dict[str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "aws"
    fake.write_text(FAKE_AWS.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"canary": CANARY_KEY, "web-app": WEB_KEY}))
    return {"bin": bin_dir, "secret": secret, "log": tmp_path / "aws.log"}


def run(aws: dict[str, Path], *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{aws['bin']}{os.pathsep}{os.environ['PATH']}",
        "FAKE_SECRET_FILE": str(aws["secret"]),
        "FAKE_AWS_LOG": str(aws["log"]),
    }
    command = [
        sys.executable,
        str(TOOL),
        "--secret",
        "dev/api-keys",
        "--region",
        "eu-west-1",
    ]
    return subprocess.run(
        [*command, *arguments], env=environment, capture_output=True, text=True, check=False
    )


def stored(aws: dict[str, Path]) -> dict[str, str]:
    return json.loads(aws["secret"].read_text())


def command_lines(aws: dict[str, Path]) -> str:
    return aws["log"].read_text()


def test_list_names_the_clients_only(aws: dict[str, Path]) -> None:
    result = run(aws, "list")
    assert result.stdout.split() == ["canary", "web-app"]
    assert CANARY_KEY not in result.stdout + result.stderr


def test_add_prints_a_new_key_the_service_accepts_and_keeps_the_others(
    aws: dict[str, Path], tmp_path: Path
) -> None:
    result = run(aws, "add", "nightly-batch")
    new_key = result.stdout.strip()

    assert result.returncode == 0, result.stderr
    assert stored(aws) == {"canary": CANARY_KEY, "web-app": WEB_KEY, "nightly-batch": new_key}
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(aws["secret"].read_text())
    assert service_keys.read_api_keys(keys_file)["nightly-batch"] == new_key.encode()
    assert new_key not in command_lines(aws)


def test_revoke_removes_one_client(aws: dict[str, Path]) -> None:
    assert run(aws, "revoke", "web-app").returncode == 0
    assert stored(aws) == {"canary": CANARY_KEY}


def test_rotate_replaces_one_key(aws: dict[str, Path]) -> None:
    new_key = run(aws, "rotate", "canary").stdout.strip()
    assert stored(aws) == {"canary": new_key, "web-app": WEB_KEY}
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
    aws: dict[str, Path], arguments: tuple[str, ...], refusal: str
) -> None:
    before = stored(aws)
    result = run(aws, *arguments)
    assert result.returncode != 0
    assert refusal in result.stderr
    assert stored(aws) == before
    assert "put-secret-value" not in command_lines(aws)


def test_client_names_follow_the_services_rule() -> None:
    assert api_keys.CLIENT_NAME.pattern == service_keys.CLIENT_NAME.pattern
