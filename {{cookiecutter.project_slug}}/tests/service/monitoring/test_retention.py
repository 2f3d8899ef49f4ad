"""The prediction log's retention over every pod's folder: age first, then total size,
then folders left empty."""

import os
from pathlib import Path

from {{ cookiecutter.package_name }}.monitoring.label_log import LABEL_FILE_PREFIX
from {{ cookiecutter.package_name }}.monitoring.prediction_log import (
    FILE_PREFIX,
    FILE_SUFFIX,
)
from {{ cookiecutter.package_name }}.monitoring.retention import (
    EMPTY_FOLDER_GRACE_SECONDS,
    Retention,
    enforce,
)

NOW = 2_000_000_000.0
DAY = 86_400


def log_file(
    volume: Path, pod: str, name: str, size: int, age_days: float, prefix: str = FILE_PREFIX
) -> Path:
    folder = volume / pod
    folder.mkdir(exist_ok=True)
    path = folder / f"{prefix}{name}{FILE_SUFFIX}"
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def age_folder(folder: Path, seconds: float) -> None:
    os.utime(folder, (NOW - seconds, NOW - seconds))


def test_files_older_than_the_retention_go_whichever_pod_wrote_them(tmp_path: Path) -> None:
    departed = log_file(tmp_path, "departed-pod", "a", 100, age_days=31)
    kept = log_file(tmp_path, "live-pod", "b", 100, age_days=29)

    pruned = enforce(tmp_path, Retention.of(days=30, gib=1), now=NOW)

    assert not departed.exists() and kept.exists()
    assert (pruned.deleted_files, pruned.deleted_bytes, pruned.kept_files) == (1, 100, 1)


def test_true_labels_are_kept_no_longer_than_predictions(tmp_path: Path) -> None:
    labels = log_file(tmp_path, "departed-pod", "a", 100, age_days=31, prefix=LABEL_FILE_PREFIX)
    enforce(tmp_path, Retention.of(days=30, gib=1), now=NOW)
    assert not labels.exists()


def test_over_the_size_limit_the_oldest_files_go_first_until_it_fits(tmp_path: Path) -> None:
    oldest = log_file(tmp_path, "pod-a", "1", 600, age_days=3)
    older = log_file(tmp_path, "pod-b", "2", 600, age_days=2)
    newest = log_file(tmp_path, "pod-a", "3", 600, age_days=1)

    pruned = enforce(tmp_path, Retention(max_age_seconds=30 * DAY, max_total_bytes=1300), now=NOW)

    assert [path.exists() for path in (oldest, older, newest)] == [False, True, True]
    assert pruned.kept_bytes == 1200


def test_only_folders_empty_for_longer_than_the_grace_are_removed(tmp_path: Path) -> None:
    for name, idle in (("left-empty", EMPTY_FOLDER_GRACE_SECONDS + 60), ("just-made", 60)):
        (tmp_path / name).mkdir()
        age_folder(tmp_path / name, idle)
    log_file(tmp_path, "writing", "a", 10, age_days=0)
    age_folder(tmp_path / "writing", EMPTY_FOLDER_GRACE_SECONDS + 60)

    pruned = enforce(tmp_path, Retention.of(days=30, gib=1), now=NOW)

    assert sorted(path.name for path in tmp_path.iterdir()) == ["just-made", "writing"]
    assert pruned.deleted_folders == 1


def test_a_missing_volume_is_nothing_to_do(tmp_path: Path) -> None:
    pruned = enforce(tmp_path / "absent", Retention.of(days=1, gib=1), now=NOW)
    assert pruned.kept_files == pruned.deleted_files == 0
