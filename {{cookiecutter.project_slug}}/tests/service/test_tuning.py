"""The settings that make the service fast (see docs/decisions.md)."""

import gc
from collections.abc import Iterator

import bentoml
import pytest
from opentelemetry.util.http import ExcludeList

from {{ cookiecutter.package_name }}.service import (
    FULL_COLLECTION_THRESHOLD,
    Classifier,
)

from tests.server_settings import API_KEYS_FILE


def test_requests_are_not_traced_while_no_exporter_is_configured() -> None:
    tracing = Classifier.config["tracing"]
    assert "exporter_type" not in tracing
    excluded = ExcludeList(tracing["excluded_urls"])
    for path in ("/predict", "/readyz", "/metrics", "/"):
        assert excluded.url_disabled(f"http://127.0.0.1:3000{path}")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_warm_up_hides_the_loaded_objects_from_the_garbage_collector(
    stored_model: bentoml.Model, unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_API_KEYS_FILE", API_KEYS_FILE)
    service = Classifier.inner()
    assert service.warmed_up.wait(timeout=30)
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[2] == FULL_COLLECTION_THRESHOLD
