"""Drift detection on the model's real training data, with Evidently."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring.drift import MIN_ROWS, as_frame, compare


def frame(features: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Features with their true class as the label, and a fixed confidence."""
    names = load_dataset().class_names
    classes = [names[label] for label in labels]
    return as_frame(features.tolist(), classes, [0.9] * len(features), FEATURE_NAMES)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    dataset = load_dataset()
    return frame(dataset.features_train, dataset.labels_train)


def held_out() -> tuple[np.ndarray, np.ndarray]:
    """Every held-out row once, shuffled: traffic the model has never seen."""
    dataset = load_dataset()
    order = np.random.default_rng(3).permutation(len(dataset.labels_test))
    return dataset.features_test[order], dataset.labels_test[order]


def test_traffic_from_the_held_out_set_shows_no_drift(
    reference: pd.DataFrame, tmp_path: Path
) -> None:
    result = compare(reference, frame(*held_out()), FEATURE_NAMES, tmp_path / "report.html")

    assert result.verdict == "no drift", result
    assert result.drifted_features == []
    assert result.rows_compared == len(held_out()[0])
    assert [column.column for column in result.features] == list(FEATURE_NAMES)
    assert "<html" in (tmp_path / "report.html").read_text()[:1000].lower()


@pytest.mark.parametrize("feature", sorted({FEATURE_NAMES[0], FEATURE_NAMES[-1]}))
def test_a_shifted_feature_is_reported_as_the_one_that_drifted(
    reference: pd.DataFrame, feature: str
) -> None:
    traffic, labels = held_out()
    column = FEATURE_NAMES.index(feature)
    traffic[:, column] += traffic[:, column].std() * 2

    result = compare(reference, frame(traffic, labels), FEATURE_NAMES)

    assert result.verdict == "drift"
    assert result.drifted_features == [feature]
    assert result.drift_share == pytest.approx(1 / len(FEATURE_NAMES))


def test_too_few_rows_give_not_enough_data_instead_of_a_verdict(
    reference: pd.DataFrame, tmp_path: Path
) -> None:
    traffic, labels = (part[: MIN_ROWS - 1] for part in held_out())
    traffic[:, 0] += traffic[:, 0].std() * 10  # would be drift, were there enough rows to say so

    result = compare(reference, frame(traffic, labels), FEATURE_NAMES, tmp_path / "report.html")

    assert result.verdict == "not enough data"
    assert result.features == []
    assert not (tmp_path / "report.html").exists()
    assert json.loads(json.dumps(result.as_dict()))["verdict"] == "not enough data"
