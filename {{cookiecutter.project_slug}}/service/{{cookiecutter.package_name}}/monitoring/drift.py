"""Data drift: logged traffic against the training data's reference profile.

Each feature gets its own test, chosen by its kind and the reference's size (the choice
Evidently makes, whose tests these are):

- a number, on a reference of up to 1,000 rows: two-sample Kolmogorov-Smirnov, drift when
  the p-value is at most 0.05; on a larger one, where any shift is "significant", the
  Wasserstein distance over the reference's standard deviation, drift from 0.1;
- a category (or a number with at most 5 distinct values): Pearson's chi-squared against
  the reference's proportions, drift below p = 0.05; on a larger reference the
  Jensen-Shannon distance, drift from 0.1.

The dataset drifts when any feature does (the share that did is reported too). The
predicted class and its confidence are tested the same way (prediction drift) but do not
count towards the verdict."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import numpy as np

from ..features import CATEGORICAL_FEATURES
from .statistics import (
    chi_square_p_value,
    jensen_shannon_distance,
    ks_p_value,
    wasserstein_distance,
)

# Below this many rows a distribution test says little: report "not enough data".
MIN_ROWS = 30
# Up to this many reference rows, statistical tests; beyond, distances.
LARGE_REFERENCE_ROWS = 1_000
# A number with this many distinct values or fewer is tested as a category.
FEW_VALUES = 5
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
PREDICTION_COLUMNS = ("label", "confidence")


@dataclass(frozen=True)
class Traffic:
    """Rows to compare: the features as the model read them, and its answers."""

    features: np.ndarray  # rows x features, float
    labels: list[str]
    confidence: np.ndarray

    @classmethod
    def of(
        cls,
        features: Sequence[Sequence[float]] | np.ndarray,
        labels: Sequence[str],
        confidence: Sequence[float] | np.ndarray,
        feature_names: tuple[str, ...],
    ) -> Self:
        rows = np.asarray(features, dtype=float).reshape(len(labels), len(feature_names))
        return cls(rows, [str(label) for label in labels], np.asarray(confidence, dtype=float))

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    verdict: str  # "no drift", "drift" or "not enough data"
    rows_compared: int
    reference_rows: int
    min_rows: int
    drift_share: float | None = None
    features: list[ColumnDrift] = field(default_factory=list)
    predictions: list[ColumnDrift] = field(default_factory=list)

    @property
    def drifted_features(self) -> list[str]:
        return [column.column for column in self.features if column.drifted]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "drifted_features": self.drifted_features}


def category_drift(
    column: str, reference: Sequence[object], current: Sequence[object]
) -> ColumnDrift:
    reference_counts, current_counts = Counter(reference), Counter(current)
    categories = sorted({*reference_counts, *current_counts}, key=str)
    expected = [reference_counts[name] for name in categories]
    observed = [current_counts[name] for name in categories]
    if len(reference) <= LARGE_REFERENCE_ROWS:
        scale = len(current) / len(reference)
        p_value = chi_square_p_value(observed, [count * scale for count in expected])
        return ColumnDrift(
            column, "chi-square p_value", p_value, P_VALUE_THRESHOLD, p_value < P_VALUE_THRESHOLD
        )
    distance = jensen_shannon_distance(expected, observed)
    return ColumnDrift(
        column,
        "Jensen-Shannon distance",
        distance,
        DISTANCE_THRESHOLD,
        distance >= DISTANCE_THRESHOLD,
    )


def number_drift(column: str, reference: np.ndarray, current: np.ndarray) -> ColumnDrift:
    if len(np.unique(np.concatenate([reference, current]))) <= FEW_VALUES:
        return category_drift(column, reference.tolist(), current.tolist())
    if len(reference) <= LARGE_REFERENCE_ROWS:
        p_value = ks_p_value(reference, current)
        return ColumnDrift(
            column, "K-S p_value", p_value, P_VALUE_THRESHOLD, p_value <= P_VALUE_THRESHOLD
        )
    # A constant reference has no spread to measure against: Evidently's floor.
    spread = max(float(np.std(reference)), 0.001)
    distance = wasserstein_distance(reference, current) / spread
    return ColumnDrift(
        column,
        "Wasserstein distance (normed)",
        distance,
        DISTANCE_THRESHOLD,
        distance >= DISTANCE_THRESHOLD,
    )


def column_drift(column: str, reference: np.ndarray, current: np.ndarray) -> ColumnDrift:
    """A categorical feature's codes are categories, whatever their number."""
    if column in CATEGORICAL_FEATURES:
        return category_drift(column, reference.tolist(), current.tolist())
    return number_drift(column, reference, current)


def compare(
    reference: Traffic,
    current: Traffic,
    feature_names: tuple[str, ...],
    min_rows: int = MIN_ROWS,
) -> DriftResult:
    """Compare `current` with `reference`, column by column."""
    if len(current) < min_rows:
        return DriftResult("not enough data", len(current), len(reference), min_rows)
    features = [
        column_drift(name, reference.features[:, index], current.features[:, index])
        for index, name in enumerate(feature_names)
    ]
    predictions = [
        category_drift("label", reference.labels, current.labels),
        number_drift("confidence", reference.confidence, current.confidence),
    ]
    drifted = sum(column.drifted for column in features)
    return DriftResult(
        "drift" if drifted else "no drift",
        len(current),
        len(reference),
        min_rows,
        drifted / len(features),
        features,
        predictions,
    )
