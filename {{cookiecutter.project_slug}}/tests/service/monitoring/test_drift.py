"""Drift detection on the real iris data, with Evidently."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring.drift import MIN_ROWS, as_frame, compare
from {{ cookiecutter.package_name }}.schemas import FEATURE_NAMES


def frame(features: np.ndarray) -> pd.DataFrame:
    """Features with the labels and confidence the reference profile would give them."""
    labels = ["setosa" if row[2] < 2.5 else "versicolor" for row in features]
    return as_frame(features.tolist(), labels, [0.9] * len(features), FEATURE_NAMES)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return frame(load_dataset().features_train)


def held_out() -> np.ndarray:
    """Every held-out row once, shuffled: traffic the model has never seen."""
    features = load_dataset().features_test.copy()
    np.random.default_rng(3).shuffle(features)
    return features


def test_traffic_from_the_held_out_set_shows_no_drift(
    reference: pd.DataFrame, tmp_path: Path
) -> None:
    result = compare(reference, frame(held_out()), FEATURE_NAMES, tmp_path / "report.html")

    assert result.verdict == "no drift", result
    assert result.drifted_features == []
    assert result.rows_compared == len(held_out())
    assert [column.column for column in result.features] == list(FEATURE_NAMES)
    assert "<html" in (tmp_path / "report.html").read_text()[:1000].lower()


@pytest.mark.parametrize("feature", ["petal_length_cm", "sepal_width_cm"])
def test_a_shifted_feature_is_reported_as_the_one_that_drifted(
    reference: pd.DataFrame, feature: str
) -> None:
    traffic = held_out()
    column = FEATURE_NAMES.index(feature)
    traffic[:, column] += traffic[:, column].std() * 2

    result = compare(reference, frame(traffic), FEATURE_NAMES)

    assert result.verdict == "drift"
    assert result.drifted_features == [feature]
    assert result.drift_share == pytest.approx(1 / len(FEATURE_NAMES))


def test_too_few_rows_give_not_enough_data_instead_of_a_verdict(
    reference: pd.DataFrame, tmp_path: Path
) -> None:
    traffic = held_out()[: MIN_ROWS - 1]
    traffic[:, 0] += 10  # would be drift, were there enough rows to say so

    result = compare(reference, frame(traffic), FEATURE_NAMES, tmp_path / "report.html")

    assert result.verdict == "not enough data"
    assert result.features == []
    assert not (tmp_path / "report.html").exists()
    assert json.loads(json.dumps(result.as_dict()))["verdict"] == "not enough data"
