"""service_secrets.toml: the one list of the service's own secrets, read by the start-up
check, the local .env and `make secrets` (docs/secrets.md)."""

import json
import re
import stat
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.api_keys import read_api_keys
from {{ cookiecutter.package_name }}.service_secrets import declared, write_local_env
from {{ cookiecutter.package_name }}.settings import SettingsError, secrets_settings

TWO_SECRETS = """
[feature_store_token]
description = "Read token of the feature store"

[database_password]
description = "Password of the reporting database"
"""


def declarations(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "service_secrets.toml"
    path.write_text(text)
    return path


def test_the_shipped_list_is_valid() -> None:
    assert isinstance(declared(), dict)


def test_secrets_are_declared_in_order_with_what_they_are_for(tmp_path: Path) -> None:
    assert declared(declarations(tmp_path, TWO_SECRETS)) == {
        "feature_store_token": "Read token of the feature store",
        "database_password": "Password of the reporting database",
    }


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[Feature-Token]\ndescription = "x"\n', "[Feature-Token]"),
        ("[token]\n", "[token]: give it exactly one key"),
        ('[token]\ndescription = "x"\nvalue = "y"\n', "[token]: give it exactly one key"),
        ('[token]\ndescription = " "\n', "[token]"),
        ("[token\n", "line 1"),
    ],
    ids=["bad-name", "no-description", "a-value-in-the-file", "blank-description", "toml"],
)
def test_a_bad_declaration_is_refused_naming_it_and_the_file(
    tmp_path: Path, text: str, named: str
) -> None:
    path = declarations(tmp_path, text)
    with pytest.raises(ValueError, match=re.escape(named)) as refused:
        declared(path)
    assert str(path) in str(refused.value)


def test_the_service_refuses_to_start_while_a_declared_secret_is_missing_or_empty() -> None:
    settings = secrets_settings(["feature_store_token", "database_password"])
    with pytest.raises(SettingsError) as refused:
        settings.from_environment({"SERVICE_FEATURE_STORE_TOKEN": ""})
    message = str(refused.value)
    assert "SERVICE_FEATURE_STORE_TOKEN" in message
    assert "SERVICE_DATABASE_PASSWORD: is not set" in message


def test_a_secret_is_read_from_its_variable_and_never_printed() -> None:
    settings = secrets_settings(["feature_store_token"]).from_environment(
        {"SERVICE_FEATURE_STORE_TOKEN": "s3cret-value"}
    )
    assert settings.feature_store_token.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(settings)


def test_the_local_env_gets_a_working_key_then_only_what_it_lacks(tmp_path: Path) -> None:
    env_file, keys_file = tmp_path / ".env", tmp_path / ".api-keys.json"
    none = declarations(tmp_path, "")

    assert write_local_env(env_file, keys_file, none) == ["API_KEY", "SERVICE_API_KEYS_FILE"]
    first = env_file.read_text()
    variables = dict(line.split("=", 1) for line in first.splitlines())
    # The service accepts the key the clients send.
    assert read_api_keys(Path(variables["SERVICE_API_KEYS_FILE"])) == {
        "developer": variables["API_KEY"].encode()
    }
    assert json.loads(keys_file.read_text()) == {"developer": variables["API_KEY"]}
    for path in (env_file, keys_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    two = declarations(tmp_path, TWO_SECRETS)
    assert write_local_env(env_file, keys_file, two) == [
        "SERVICE_FEATURE_STORE_TOKEN",
        "SERVICE_DATABASE_PASSWORD",
    ]
    assert env_file.read_text().startswith(first)
    assert "# Read token of the feature store" in env_file.read_text()
    settings = secrets_settings(list(declared(two))).from_environment(
        dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    )
    assert settings.database_password.get_secret_value().startswith("dev-")

    unchanged = env_file.read_text()
    assert write_local_env(env_file, keys_file, two) == []
    assert env_file.read_text() == unchanged
