"""The model's accuracy where the truth came back: true labels sent to POST /feedback
(label_log.py), joined by request id and record with the predictions the service logged.

Both are read from the same window, so a label whose prediction is older than the window,
or was never logged (sampled out), is counted as unmatched, not guessed at. Below
`min_rows` joined labels there is no verdict: a handful of labels says nothing.
"""

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .label_log import LABEL_FILE_PREFIX
from .prediction_log import FILE_PREFIX
from .prediction_window import recent_files

Key = tuple[str, int]  # (request id, record)


@dataclass(frozen=True)
class QualityResult:
    labelled_rows: int
    unmatched_labels: int
    min_rows: int
    # The held-out accuracy training measured, minus the model card's margin.
    floor: float
    accuracy: float | None = None
    # Per true class: the share of its labelled rows the model predicted right.
    recall: dict[str, float] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.labelled_rows >= self.min_rows

    @property
    def below_floor(self) -> bool:
        return self.enough and self.accuracy is not None and self.accuracy < self.floor

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "enough": self.enough, "below_floor": self.below_floor}


def lines_since(directory: Path, since: datetime, prefix: str) -> Iterator[dict[str, Any]]:
    """Every readable line written at or after `since` in `prefix` files, oldest file first;
    a line being written, or a corrupt one, is skipped."""
    for path in recent_files(directory, since, prefix):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            continue  # rotated away by its pod since it was listed
        for line in lines:
            try:
                entry = json.loads(line)
                if datetime.fromisoformat(entry["time"]) >= since:
                    yield entry
            except (ValueError, KeyError, TypeError):
                continue


def true_labels(directory: Path, since: datetime) -> dict[Key, str]:
    """The latest label sent for each prediction; a correction replaces what came before."""
    labels: dict[Key, tuple[str, str]] = {}
    for entry in lines_since(directory, since, LABEL_FILE_PREFIX):
        key = (str(entry["request_id"]), int(entry["record"]))
        if key not in labels or entry["time"] >= labels[key][0]:
            labels[key] = (entry["time"], str(entry["label"]))
    return {key: label for key, (_, label) in labels.items()}


def predicted_labels(directory: Path, since: datetime, wanted: set[Key]) -> dict[Key, str]:
    predicted = {}
    for entry in lines_since(directory, since, FILE_PREFIX):
        key = (str(entry.get("request_id")), int(entry.get("record", -1)))
        if key in wanted:
            predicted[key] = str(entry["label"])
    return predicted


def measure(directory: Path, since: datetime, floor: float, min_rows: int) -> QualityResult:
    truth = true_labels(directory, since)
    predicted = predicted_labels(directory, since, set(truth))
    joined = [(truth[key], predicted[key]) for key in predicted]
    unmatched = len(truth) - len(joined)
    if not joined:
        return QualityResult(0, unmatched, min_rows, floor)
    per_class = Counter(true for true, _ in joined)
    right = Counter(true for true, guess in joined if true == guess)
    return QualityResult(
        labelled_rows=len(joined),
        unmatched_labels=unmatched,
        min_rows=min_rows,
        floor=floor,
        accuracy=sum(right.values()) / len(joined),
        recall={name: right[name] / count for name, count in sorted(per_class.items())},
    )
