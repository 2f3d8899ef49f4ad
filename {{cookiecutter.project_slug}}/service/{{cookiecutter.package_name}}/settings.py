"""Service settings, read once from environment variables named SERVICE_<FIELD>.

Nothing here has a switch that turns authentication off: the server refuses to start
without an API key.
"""

import os
from collections.abc import Mapping
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .cpu_budget import usable_cpus

ENVIRONMENT_PREFIX = "SERVICE_"

# A key shorter than this is guessable by brute force over the network.
MIN_API_KEY_LENGTH = 32


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

    model_tag: str = "classifier:latest"
    max_batch_size: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    max_body_bytes: Annotated[int, Field(ge=1_024, le=64 * 1024 * 1024)] = 1024 * 1024
    request_timeout_seconds: Annotated[int, Field(ge=1, le=600)] = 10
    max_concurrency: Annotated[int, Field(ge=1, le=10_000)] = 64
    # One server process per CPU the container may use (its cgroup CPU quota, i.e. the
    # Kubernetes CPU limit), each running inference on one thread: workers x
    # inference_threads should equal the CPU limit (see README, "Speed").
    workers: Annotated[int, Field(ge=1, le=64, default_factory=usable_cpus)]
    inference_threads: Annotated[int, Field(ge=1, le=64)] = 1
    warmup_rounds: Annotated[int, Field(ge=1, le=10_000_000)] = 20
    # After SIGTERM: seconds of /readyz 503 while still serving, before the server stops.
    shutdown_drain_seconds: Annotated[int, Field(ge=0, le=120)] = 5
    log_level: Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"


class ApiKeySettings(EnvironmentSettings):
    """Keys accepted on prediction endpoints. Two at once, so a key can be rotated:
    set the new key as SERVICE_API_KEY and keep the old one as SERVICE_API_KEY_PREVIOUS
    until every client has switched, then remove it."""

    api_key: SecretStr
    api_key_previous: SecretStr | None = None

    @field_validator("api_key", "api_key_previous")
    @classmethod
    def reject_short_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < MIN_API_KEY_LENGTH:
            raise ValueError(
                f"is shorter than {MIN_API_KEY_LENGTH} characters; generate one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return key

    def accepted_keys(self) -> tuple[bytes, ...]:
        keys = (self.api_key, self.api_key_previous)
        return tuple(key.get_secret_value().encode() for key in keys if key is not None)
