from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.api_keys import GENERATE_HINT
from {{ cookiecutter.package_name }}.cpu_budget import usable_cpus
from {{ cookiecutter.package_name }}.settings import (
    ApiKeySettings,
    ServiceSettings,
    SettingsError,
)

import cloud.service_pod as service_pod
from tests.server_settings import write_api_keys


def test_defaults_are_valid_without_any_environment() -> None:
    settings = ServiceSettings.from_environment({})
    assert settings.max_batch_size == 1_000


def test_values_are_read_from_service_prefixed_variables() -> None:
    settings = ServiceSettings.from_environment(
        {"SERVICE_MAX_BATCH_SIZE": "7", "MAX_BATCH_SIZE": "9"}
    )
    assert settings.max_batch_size == 7


def test_workers_default_to_the_cpus_the_process_may_use() -> None:
    assert ServiceSettings.from_environment({}).workers == usable_cpus()


def test_the_pod_environment_gives_one_single_threaded_worker_per_cpu() -> None:
    environment = {variable["name"]: variable["value"] for variable in service_pod.tuning_env()}
    settings = ServiceSettings.from_environment(environment)
    assert settings.workers == service_pod.SERVICE_CPUS
    assert settings.inference_threads == 1


def test_every_invalid_variable_is_named_in_one_error() -> None:
    with pytest.raises(SettingsError) as error:
        ServiceSettings.from_environment(
            {"SERVICE_MAX_BATCH_SIZE": "0", "SERVICE_LOG_LEVEL": "LOUD"}
        )
    assert "SERVICE_MAX_BATCH_SIZE" in str(error.value)
    assert "SERVICE_LOG_LEVEL" in str(error.value)


def test_missing_keys_file_stops_with_the_variable_name() -> None:
    with pytest.raises(SettingsError, match="SERVICE_API_KEYS_FILE: is not set"):
        ApiKeySettings.from_environment({})


def test_unusable_keys_file_stops_naming_the_variable_and_the_problem_not_the_key(
    tmp_path: Path,
) -> None:
    keys_file = write_api_keys(tmp_path / "keys.json", {"web-app": "short-secret"})
    with pytest.raises(SettingsError) as error:
        ApiKeySettings.from_environment({"SERVICE_API_KEYS_FILE": str(keys_file)})
    assert str(error.value).endswith(
        "SERVICE_API_KEYS_FILE: the key of client 'web-app' is not a string of at least 32 "
        f"characters; {GENERATE_HINT}"
    )
    assert "short-secret" not in str(error.value)
