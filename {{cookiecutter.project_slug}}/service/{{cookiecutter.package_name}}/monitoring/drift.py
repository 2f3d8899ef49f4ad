"""Data drift: logged traffic against the training data's reference profile, with
Evidently (0.7 API). Each feature gets its own statistical test (Evidently picks it by
column type and size: Kolmogorov-Smirnov for numbers and chi-squared for categories on
small references, Wasserstein distance and Jensen-Shannon divergence on large ones); the
dataset drifts when at least DATASET_DRIFT_SHARE of the features do. The predicted class
and its confidence are tested the same way (prediction drift), but do not count towards
the dataset's share."""

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import DriftedColumnsCount, ValueDrift

# Below this many rows a distribution test says little: report "not enough data".
MIN_ROWS = 30
DATASET_DRIFT_SHARE = 0.5
PREDICTION_COLUMNS = ("label", "confidence")


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


def as_frame(
    features: list[list[float]],
    labels: list[str],
    confidence: list[float],
    feature_names: tuple[str, ...],
) -> pd.DataFrame:
    frame = pd.DataFrame(features, columns=list(feature_names), dtype=float)
    frame["label"] = pd.Series(labels, dtype=str)
    frame["confidence"] = pd.Series(confidence, dtype=float)
    return frame


def column_drift(metric: dict[str, Any]) -> ColumnDrift:
    """A ValueDrift result: its value is the test's score (a p-value for statistical
    tests, where lower means drift; a distance otherwise, where higher does)."""
    config = metric["config"]
    score = float(metric["value"])
    threshold = float(config["threshold"])
    method = str(config["method"])
    is_p_value = "p_value" in method
    drifted = score < threshold if is_p_value else score >= threshold
    return ColumnDrift(config["column"], method, score, threshold, drifted)


def compare(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    feature_names: tuple[str, ...],
    report_path: Path | None = None,
    min_rows: int = MIN_ROWS,
) -> DriftResult:
    """Compare `current` with `reference`; write Evidently's HTML report to `report_path`."""
    if len(current) < min_rows:
        return DriftResult("not enough data", len(current), len(reference), min_rows)
    definition = DataDefinition(
        numerical_columns=[*feature_names, "confidence"], categorical_columns=["label"]
    )
    metrics = [
        DriftedColumnsCount(columns=list(feature_names), drift_share=DATASET_DRIFT_SHARE),
        *(ValueDrift(column=column) for column in (*feature_names, *PREDICTION_COLUMNS)),
    ]
    snapshot = Report(metrics).run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    if report_path is not None:
        snapshot.save_html(str(report_path))
    results = snapshot.dict()["metrics"]
    share = float(results[0]["value"]["share"])
    columns = [column_drift(metric) for metric in results[1:]]
    features = [column for column in columns if column.column in feature_names]
    predictions = [column for column in columns if column.column in PREDICTION_COLUMNS]
    return DriftResult(
        "drift" if share >= DATASET_DRIFT_SHARE or any(c.drifted for c in features) else "no drift",
        len(current),
        len(reference),
        min_rows,
        share,
        features,
        predictions,
    )
