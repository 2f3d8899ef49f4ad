"""The keys file: what it must hold, and how a running worker follows its changes."""

import logging
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.api_keys import (
    RELOAD_SECONDS,
    ApiKeys,
    ApiKeysError,
    read_api_keys,
)

from tests.server_settings import write_api_keys

WEB = "w" * 32
BATCH = "b" * 40


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return write_api_keys(tmp_path / "keys.json", {"web-app": WEB, "nightly-batch": BATCH})


def test_each_key_names_its_client(keys_file: Path) -> None:
    keys = ApiKeys(keys_file)
    assert keys.client(WEB.encode()) == "web-app"
    assert keys.client(BATCH.encode()) == "nightly-batch"
    assert keys.client(WEB.encode() + b"x") is None
    assert keys.client(b"") is None


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is not JSON"),
        ('["' + WEB + '"]', "must be a JSON object of client names to keys"),
        ("{}", "must be a JSON object of client names to keys"),
        ('{"Web App": "' + WEB + '"}', "client name 'Web App': use 1 to 63 lowercase"),
        ('{"web-app": 12345}', "the key of client 'web-app' is not a string of at least 32"),
        ('{"web-app": "short-secret"}', "the key of client 'web-app' is not a string"),
        ('{"a": "' + WEB + '", "b": "' + WEB + '"}', "two clients share a key"),
    ],
    ids=["not-json", "list", "empty", "bad-name", "not-a-string", "short", "shared"],
)
def test_a_malformed_file_is_refused_naming_the_problem_never_the_key(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "keys.json"
    path.write_text(content)
    with pytest.raises(ApiKeysError, match=problem) as error:
        read_api_keys(path)
    assert WEB not in str(error.value)
    assert "short-secret" not in str(error.value)


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ApiKeysError, match=f"cannot read {tmp_path / 'absent.json'}"):
        read_api_keys(tmp_path / "absent.json")


def test_a_revoked_key_stops_working_at_the_next_reload_not_before(keys_file: Path) -> None:
    clock = Clock()
    keys = ApiKeys(keys_file, clock)
    write_api_keys(keys_file, {"nightly-batch": BATCH})

    clock.now += RELOAD_SECONDS - 0.1
    assert keys.client(WEB.encode()) == "web-app"
    clock.now += 0.1
    assert keys.client(WEB.encode()) is None
    assert keys.client(BATCH.encode()) == "nightly-batch"


def test_an_added_key_works_after_the_next_reload(keys_file: Path) -> None:
    clock = Clock()
    keys = ApiKeys(keys_file, clock)
    added = "n" * 32
    write_api_keys(keys_file, {"web-app": WEB, "nightly-batch": BATCH, "new-client": added})

    clock.now += RELOAD_SECONDS
    assert keys.client(added.encode()) == "new-client"


def test_a_file_broken_while_serving_accepts_no_key_until_it_is_fixed(
    keys_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    keys = ApiKeys(keys_file, clock)
    keys_file.write_text('{"web-app": ')

    clock.now += RELOAD_SECONDS
    with caplog.at_level(logging.ERROR):
        assert keys.client(WEB.encode()) is None
    assert "accepting no key until fixed" in caplog.text
    assert WEB not in caplog.text

    write_api_keys(keys_file, {"web-app": WEB})
    clock.now += RELOAD_SECONDS
    assert keys.client(WEB.encode()) == "web-app"
