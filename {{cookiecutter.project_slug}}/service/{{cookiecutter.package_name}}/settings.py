"""Service settings, read once from environment variables named SERVICE_<FIELD>.

Nothing here has a switch that turns authentication off: the server refuses to start
without at least one API key.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)

from .api_keys import read_api_keys
from .cpu_budget import usable_cpus
from .model_card import MODEL_CARD
from .service_secrets import VARIABLE_PREFIX, declared

ENVIRONMENT_PREFIX = VARIABLE_PREFIX
# One request in twenty: enough to see every kind of slow request within minutes at a few
# requests a second, at a twentieth of the export's cost (`make bench` measures it).
DEFAULT_TRACE_SAMPLE_RATIO = 0.05


class SettingsError(ValueError):
    """Raised with one line per bad environment variable, naming the variable."""


class EnvironmentSettings(BaseModel):
    """Base for settings read from SERVICE_* variables; unknown fields are impossible."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Self:
        values = {
            field: environment[variable]
            for field in cls.model_fields
            if (variable := ENVIRONMENT_PREFIX + field.upper()) in environment
        }
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            lines = [
                f"{ENVIRONMENT_PREFIX}{str(problem['loc'][0]).upper()}: "
                + (
                    "is not set"
                    if problem["type"] == "missing"
                    else problem["msg"].removeprefix("Value error, ")
                )
                for problem in error.errors(include_input=False)
            ]
            raise SettingsError("invalid service settings:\n  " + "\n  ".join(lines)) from None


class ServiceSettings(EnvironmentSettings):
    """Limits and tuning. Read at import time: the request schema and BentoML's traffic
    settings are declared from them."""

    model_tag: str = f"{MODEL_CARD.name}:latest"
    max_batch_size: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    max_body_bytes: Annotated[int, Field(ge=1_024, le=64 * 1024 * 1024)] = 1024 * 1024
    request_timeout_seconds: Annotated[int, Field(ge=1, le=600)] = 10
    max_concurrency: Annotated[int, Field(ge=1, le=10_000)] = 64
    # One server process per CPU the container may use (its cgroup CPU quota, i.e. the
    # Kubernetes CPU limit), each running inference on one thread: workers x
    # inference_threads should equal the CPU limit (see docs/speed.md).
    workers: Annotated[int, Field(ge=1, le=64, default_factory=usable_cpus)]
    inference_threads: Annotated[int, Field(ge=1, le=64)] = 1
    warmup_rounds: Annotated[int, Field(ge=1, le=10_000_000)] = 20
    # After SIGTERM: seconds of /readyz 503 while still serving, before the server stops.
    shutdown_drain_seconds: Annotated[int, Field(ge=0, le=120)] = 5
    # INFO writes a line per request (the access log); WARNING leaves only problems.
    log_level: Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    # Where to send request traces: an OTLP/HTTP collector's /v1/traces (tracing.py). Unset,
    # no span is made at all. Of the requests, `trace_sample_ratio` are sent.
    trace_endpoint: Annotated[str, Field(pattern=r"^https?://[^/\s]+/v1/traces$")] | None = None
    trace_sample_ratio: Annotated[float, Field(ge=0, le=1)] = DEFAULT_TRACE_SAMPLE_RATIO


class ApiKeySettings(EnvironmentSettings):
    """Where the keys accepted on prediction endpoints are: a JSON file of client names
    to keys, which the service reads again while it runs (api_keys.py)."""

    api_keys_file: Path

    @field_validator("api_keys_file")
    @classmethod
    def usable_keys(cls, path: Path) -> Path:
        read_api_keys(path)
        return path


def secrets_settings(names: list[str]) -> type[EnvironmentSettings]:
    """Settings with one required, non-empty secret field per declared name."""
    secret = (Annotated[SecretStr, Field(min_length=1)], ...)
    return create_model(
        "ServiceSecrets", __base__=EnvironmentSettings, **dict.fromkeys(names, secret)
    )


# The secrets service_secrets.toml declares, e.g. ServiceSecrets.from_environment()
# .feature_store_token.get_secret_value(). The service checks them all at start.
ServiceSecrets = secrets_settings(list(declared()))
