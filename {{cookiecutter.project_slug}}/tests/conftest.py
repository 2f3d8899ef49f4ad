"""Fixtures shared by all tests. Tests never touch the developer's model store or keys."""

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

# A private model store for this test session. Set before anything imports bentoml,
# which reads BENTOML_HOME once, at import.
TEST_BENTOML_HOME = tempfile.mkdtemp(prefix="bentoml-home-")
os.environ["BENTOML_HOME"] = TEST_BENTOML_HOME
os.environ["BENTOML_DO_NOT_TRACK"] = "true"
for variable in [name for name in os.environ if name.startswith("SERVICE_")]:
    del os.environ[variable]

import bentoml  # noqa: E402
import httpx  # noqa: E402

from {{ cookiecutter.package_name }} import training  # noqa: E402
from {{ cookiecutter.package_name }}.model_store import MODEL_NAME  # noqa: E402

from harness.local_service import LocalService, running  # noqa: E402
from tests.server_settings import (  # noqa: E402
    API_KEY,
    API_KEYS_DIRECTORY,
    FAULTY_SERVICE,
    KEYS_SETTING,
    MAX_BATCH_SIZE,
    MAX_BODY_BYTES,
    SERVICE,
)


@pytest.fixture(scope="session", autouse=True)
def remove_test_model_store() -> Iterator[None]:
    yield
    shutil.rmtree(TEST_BENTOML_HOME, ignore_errors=True)
    shutil.rmtree(API_KEYS_DIRECTORY, ignore_errors=True)


@pytest.fixture(scope="session")
def stored_model() -> bentoml.Model:
    """The example model, trained and stored exactly as `make train` does it."""
    assert training.main() == 0
    return bentoml.models.get(f"{MODEL_NAME}:latest")


@pytest.fixture(scope="session")
def server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    folder = tmp_path_factory.mktemp("server")
    settings = {
        **KEYS_SETTING,
        "SERVICE_MAX_BATCH_SIZE": str(MAX_BATCH_SIZE),
        "SERVICE_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        # Predictions logged, as in the cluster: POST /feedback needs them.
        "SERVICE_PREDICTION_LOG_DIR": str(folder / "predictions"),
    }
    with running(SERVICE, folder / "server.log", settings=settings) as server:
        yield server


@pytest.fixture
def client(server: LocalService) -> Iterator[httpx.Client]:
    """An authenticated client."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as authenticated:
        yield authenticated


@pytest.fixture(scope="session")
def faulty_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    """The same service with a fifth of predictions failing and the rest 300 ms slower."""
    with running(
        FAULTY_SERVICE,
        tmp_path_factory.mktemp("faulty") / "server.log",
        settings={
            **KEYS_SETTING,
            "FAULT_ERROR_RATIO": "0.2",
            "FAULT_LATENCY_MS": "300",
        },
    ) as server:
        yield server
