"""Drift detection on the model's real training data, and the report it writes."""

import json
from html import escape

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    FEATURES,
    NUMERIC_FEATURES,
)
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring.drift import MIN_ROWS, Traffic, compare
from {{ cookiecutter.package_name }}.monitoring.drift_report import render


def traffic_of(features: np.ndarray, labels: np.ndarray) -> Traffic:
    """Features with their true class as the label, and a fixed confidence."""
    names = load_dataset().class_names
    classes = [names[label] for label in labels]
    return Traffic.of(features, classes, [0.9] * len(features), FEATURE_NAMES)


@pytest.fixture(scope="module")
def reference() -> Traffic:
    dataset = load_dataset()
    return traffic_of(dataset.features_train, dataset.labels_train)


def held_out() -> tuple[np.ndarray, np.ndarray]:
    """Every held-out row once, shuffled: traffic the model has never seen."""
    dataset = load_dataset()
    order = np.random.default_rng(3).permutation(len(dataset.labels_test))
    return dataset.features_test[order], dataset.labels_test[order]


def test_traffic_from_the_held_out_set_shows_no_drift(reference: Traffic) -> None:
    result = compare(reference, traffic_of(*held_out()), FEATURE_NAMES)

    assert result.verdict == "no drift", result
    assert result.drifted_features == []
    assert result.rows_compared == len(held_out()[0])
    assert [column.column for column in result.features] == list(FEATURE_NAMES)
    assert [column.column for column in result.predictions] == ["label", "confidence"]


@pytest.mark.parametrize("feature", sorted({NUMERIC_FEATURES[0], NUMERIC_FEATURES[-1]}))
def test_a_shifted_feature_is_reported_as_the_one_that_drifted(
    reference: Traffic, feature: str
) -> None:
    traffic, labels = held_out()
    column = FEATURE_NAMES.index(feature)
    traffic[:, column] += traffic[:, column].std() * 2

    result = compare(reference, traffic_of(traffic, labels), FEATURE_NAMES)

    assert result.verdict == "drift"
    assert result.drifted_features == [feature]
    assert result.drift_share == pytest.approx(1 / len(FEATURE_NAMES))


@pytest.mark.skipif(not CATEGORICAL_FEATURES, reason="the model has no categorical feature")
def test_a_category_is_tested_by_its_proportions(reference: Traffic) -> None:
    traffic, labels = held_out()
    feature = CATEGORICAL_FEATURES[0]
    column = FEATURE_NAMES.index(feature)
    result = compare(reference, traffic_of(traffic, labels), FEATURE_NAMES)
    [unshifted] = [drift for drift in result.features if drift.column == feature]
    # Every record now of the category the reference holds least of.
    codes, counts = np.unique(reference.features[:, column], return_counts=True)
    traffic[:, column] = codes[counts.argmin()]

    current = traffic_of(traffic, labels)
    result = compare(reference, current, FEATURE_NAMES)

    [shifted] = [drift for drift in result.features if drift.column == feature]
    assert unshifted.method == shifted.method == "chi-square p_value"
    assert not unshifted.drifted and shifted.drifted
    assert result.drifted_features == [feature]
    # The report shows the category's share of each value, the shifted one at 100%.
    page = render(result, reference, current, FEATURE_NAMES, "model:v1")
    [declared] = [declared for declared in FEATURES if declared.name == feature]
    assert all(f"<th>{escape(value)}</th>" in page for value in declared.categories)
    assert f"<tr class=drift><td>{feature} (window)</td>" in page and "<td>100.0%</td>" in page


def test_too_few_rows_give_not_enough_data_instead_of_a_verdict(reference: Traffic) -> None:
    traffic, labels = (part[: MIN_ROWS - 1] for part in held_out())
    traffic[:, 0] += traffic[:, 0].std() * 10  # would be drift, were there enough rows to say so

    result = compare(reference, traffic_of(traffic, labels), FEATURE_NAMES)

    assert result.verdict == "not enough data"
    assert result.features == []
    assert json.loads(json.dumps(result.as_dict()))["verdict"] == "not enough data"


def test_a_large_reference_is_judged_by_distances_not_p_values() -> None:
    """On thousands of rows every tiny shift is "significant": a shift of a hundredth of
    a standard deviation is no drift, a shift of half of one is."""
    rng = np.random.default_rng(5)
    rows = rng.normal(10, 1, size=(4_000, len(NUMERIC_FEATURES)))
    labels = rng.choice(["a", "b"], size=4_000).tolist()
    reference = Traffic.of(rows, labels, rng.uniform(0.5, 1, 4_000), NUMERIC_FEATURES)
    for shift, verdict in ((0.01, "no drift"), (0.5, "drift")):
        current = Traffic.of(rows + shift, labels, reference.confidence, NUMERIC_FEATURES)
        result = compare(reference, current, NUMERIC_FEATURES)
        assert result.verdict == verdict
        assert {column.method for column in result.features} == {"Wasserstein distance (normed)"}
        assert {column.method for column in result.predictions} == {
            "Jensen-Shannon distance",
            "Wasserstein distance (normed)",
        }


def test_a_class_the_reference_never_predicted_is_prediction_drift(reference: Traffic) -> None:
    traffic, labels = held_out()
    current = traffic_of(traffic, labels)
    unseen = Traffic(current.features, ["never-seen"] * len(current), current.confidence)

    [label, _] = compare(reference, unseen, FEATURE_NAMES).predictions

    assert (label.column, label.method, label.drifted) == ("label", "chi-square p_value", True)


def test_the_report_shows_every_column_and_runs_no_script(reference: Traffic) -> None:
    traffic, labels = held_out()
    column = FEATURE_NAMES.index(FEATURE_NAMES[-1])
    traffic[:, column] += traffic[:, column].std() * 2
    current = traffic_of(traffic, labels)
    result = compare(reference, current, FEATURE_NAMES)

    page = render(result, reference, current, FEATURE_NAMES, "model:v1")

    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "http" not in page
    assert "Drift verdict: drift" in page and "model:v1" in page
    for name in (*FEATURE_NAMES, "label", "confidence"):
        assert f"<td>{name}</td>" in page
    assert f"<tr class=drift><td>{FEATURE_NAMES[-1]} (window)</td>" in page
