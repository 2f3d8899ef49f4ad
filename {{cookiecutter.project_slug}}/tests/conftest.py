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

from {{ cookiecutter.package_name }} import training  # noqa: E402
from {{ cookiecutter.package_name }}.model_store import MODEL_NAME  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def remove_test_model_store() -> Iterator[None]:
    yield
    shutil.rmtree(TEST_BENTOML_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def stored_model() -> bentoml.Model:
    """The example model, trained and stored exactly as `make train` does it."""
    assert training.main() == 0
    return bentoml.models.get(f"{MODEL_NAME}:latest")
