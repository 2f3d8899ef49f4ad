"""The logged traffic of a time window, read back from the prediction log's files."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..features import from_values
from .prediction_log import FILE_PREFIX, FILE_SUFFIX

# A file last written this long before the window starts cannot hold a line inside it
# (the margin covers clock differences between the pods and the file system).
CLOCK_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class PredictionWindow:
    features: list[list[float]]
    labels: list[str]
    confidence: list[float]
    model_versions: frozenset[str]
    unreadable_lines: int

    @property
    def rows(self) -> int:
        return len(self.labels)


def recent_files(directory: Path, since: datetime, prefix: str = FILE_PREFIX) -> list[Path]:
    """Files named `<prefix>…` under `directory` that may hold a line written since `since`."""
    oldest = (since - CLOCK_MARGIN).timestamp()
    recent = []
    found = directory.rglob(f"{prefix}*{FILE_SUFFIX}") if directory.is_dir() else []
    for path in found:
        try:
            if path.stat().st_mtime >= oldest:
                recent.append(path)
        except FileNotFoundError:
            continue  # rotated away by its pod since it was listed
    return sorted(recent)


def read_window(directory: Path, since: datetime, max_rows: int) -> PredictionWindow:
    """Every logged prediction at or after `since`, the newest `max_rows` if there are
    more, from the log files in `directory` and below it (in the cluster each pod logs
    to its own subdirectory). Files last written before the window are not opened. A line
    being written while this runs, or a corrupt one, is counted, not fatal."""
    entries: list[tuple[str, list[float], str, float, str]] = []
    unreadable = 0
    for path in recent_files(directory, since):
        try:
            lines = path.open(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue  # rotated away by its pod since it was listed
        with lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                    if datetime.fromisoformat(entry["time"]) < since:
                        continue
                    features = from_values(entry["features"])
                    entries.append(
                        (
                            entry["time"],
                            features,
                            str(entry["label"]),
                            float(entry["confidence"]),
                            str(entry["model_version"]),
                        )
                    )
                except (ValueError, KeyError, TypeError):
                    unreadable += 1
    entries.sort(key=lambda entry: entry[0])
    entries = entries[-max_rows:]
    return PredictionWindow(
        features=[entry[1] for entry in entries],
        labels=[entry[2] for entry in entries],
        confidence=[entry[3] for entry in entries],
        model_versions=frozenset(entry[4] for entry in entries),
        unreadable_lines=unreadable,
    )
