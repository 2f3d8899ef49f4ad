"""`make secrets` against a stand-in for the AWS CLI (fake_aws.py): only declared secrets
are set, a value never travels in a command line, and what it writes is what the
service's pods receive: SERVICE_<NAME> -> value."""

import subprocess
from pathlib import Path

import pytest

import secret_values

from tests.infra.fake_aws import FakeAws
from tests.server_settings import SERVICE

PACKAGE = SERVICE.split(".")[0]
TOOL = Path(secret_values.__file__)
DECLARED = """
[feature_store_token]
description = "Read token of the feature store"

[database_password]
description = "Password of the reporting database"
"""
TOKEN = "t0ken-" + "x" * 30


@pytest.fixture
def aws(tmp_path: Path) -> FakeAws:
    return FakeAws.holding(tmp_path, {"SERVICE_FEATURE_STORE_TOKEN": TOKEN})


def run(
    aws: FakeAws, tmp_path: Path, *arguments: str, value: str = ""
) -> subprocess.CompletedProcess[str]:
    declarations = tmp_path / "service_secrets.toml"
    declarations.write_text(DECLARED)
    common = ["--secret", "dev/service-secrets", "--region", "eu-west-1", "--package", PACKAGE]
    return aws.run(TOOL, [*common, "--declarations", str(declarations), *arguments], value)


def test_list_says_which_declared_secrets_are_set_and_shows_no_value(
    aws: FakeAws, tmp_path: Path
) -> None:
    result = run(aws, tmp_path, "list")
    assert result.stdout.splitlines() == [
        "SERVICE_FEATURE_STORE_TOKEN  set  (Read token of the feature store)",
        "SERVICE_DATABASE_PASSWORD  NOT SET  (Password of the reporting database)",
    ]
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["database_password", "SERVICE_DATABASE_PASSWORD"])
def test_set_adds_the_value_from_standard_input_and_keeps_the_others(
    aws: FakeAws, tmp_path: Path, name: str
) -> None:
    result = run(aws, tmp_path, "set", name, value="pa55-word\n")

    assert result.returncode == 0, result.stderr
    assert aws.stored() == {
        "SERVICE_FEATURE_STORE_TOKEN": TOKEN,
        "SERVICE_DATABASE_PASSWORD": "pa55-word",
    }
    assert "pa55-word" not in aws.command_lines() + result.stdout + result.stderr
    assert "kubectl argo rollouts restart" in result.stderr


def test_unset_removes_one_secret(aws: FakeAws, tmp_path: Path) -> None:
    assert run(aws, tmp_path, "unset", "feature_store_token").returncode == 0
    assert aws.stored() == {}


@pytest.mark.parametrize(
    ("arguments", "value", "refusal"),
    [
        (("set", "colour"), "red", "SERVICE_COLOUR is not declared in service_secrets.toml"),
        (("set", "database_password"), "", "no value given"),
        (("unset", "database_password"), "", "is not set"),
        (("set",), "", "set needs a secret: NAME=<name>"),
    ],
    ids=["undeclared", "empty", "unset-missing", "no-name"],
)
def test_a_refused_change_writes_nothing(
    aws: FakeAws, tmp_path: Path, arguments: tuple[str, ...], value: str, refusal: str
) -> None:
    before = aws.stored()
    result = run(aws, tmp_path, *arguments, value=value)
    assert result.returncode != 0
    assert refusal in result.stderr
    assert aws.stored() == before
    assert "put-secret-value" not in aws.command_lines()
