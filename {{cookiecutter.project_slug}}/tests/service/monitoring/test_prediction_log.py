"""The prediction log: nothing lost under concurrent load, nothing waits for the disk."""

import json
import threading
import time
from pathlib import Path

import numpy as np

from {{ cookiecutter.package_name }}.features import EXAMPLE_RECORD, to_array
from {{ cookiecutter.package_name }}.monitoring.prediction_log import (
    IDLE_CHECK_SECONDS,
    Batch,
    PredictionLog,
    PredictionLogSettings,
)

CLASSES = ("class-a", "class-b", "class-c")


def settings(directory: Path | None, **overrides: object) -> PredictionLogSettings:
    return PredictionLogSettings.model_validate({"prediction_log_dir": directory, **overrides})


def example_arrays(rows: int) -> tuple[np.ndarray, list[str], np.ndarray]:
    features = to_array([EXAMPLE_RECORD] * rows)
    probabilities = np.tile(np.array([0.9, 0.08, 0.02], dtype=np.float32), (rows, 1))
    return features, [CLASSES[0]] * rows, probabilities


def submit_one(log: PredictionLog, rows: int = 2) -> None:
    features, labels, probabilities = example_arrays(rows)
    log.submit("classifier:test", features, labels, probabilities)


def logged_lines(directory: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(directory.glob("predictions-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_every_prediction_submitted_from_many_threads_is_written_exactly_once(
    tmp_path: Path,
) -> None:
    log = PredictionLog(settings(tmp_path, prediction_log_queue_bytes=1024**3), CLASSES)
    threads = [
        threading.Thread(target=lambda: [submit_one(log) for _ in range(500)]) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()

    lines = logged_lines(tmp_path)
    assert len(lines) == 8 * 500 * 2
    assert lines[0]["features"] == EXAMPLE_RECORD.model_dump()
    assert lines[0]["label"] == CLASSES[0]
    assert lines[0]["confidence"] == 0.9
    # Each line names its record's place in its request, for true labels to find it.
    assert sorted({line["record"] for line in lines}) == [0, 1]


def test_submit_never_waits_for_a_stalled_writer_and_drops_beyond_the_byte_bound(
    tmp_path: Path,
) -> None:
    stalled = threading.Event()  # a disk that does not answer until the end of the test
    drops = []
    one_batch = Batch(0, None, "classifier:test", *example_arrays(rows=2), write=True).size_bytes
    log = PredictionLog(
        settings(tmp_path, prediction_log_queue_bytes=10 * one_batch),
        CLASSES,
        on_batch=lambda batch: stalled.wait(),
        on_drop=lambda: drops.append(1),
    )
    submitter = threading.Thread(target=lambda: [submit_one(log) for _ in range(200)])
    submitter.start()
    submitter.join(timeout=30)
    waited = submitter.is_alive()
    stalled.set()
    log.close()

    assert not waited, "submit waited for the writer"
    assert 189 <= len(drops) <= 190  # the bound holds 10 batches; the writer took at most one


def test_sample_rate_zero_logs_nothing_but_still_hands_every_batch_to_the_metrics(
    tmp_path: Path,
) -> None:
    seen: list[Batch] = []
    log = PredictionLog(
        settings(tmp_path, prediction_log_sample_rate=0.0),
        CLASSES,
        on_batch=seen.append,
    )
    for _ in range(20):
        submit_one(log)
    log.close()

    assert logged_lines(tmp_path) == []
    assert len(seen) == 20


def test_files_rotate_at_the_size_limit_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    log = PredictionLog(
        settings(tmp_path, prediction_log_max_file_bytes=1024, prediction_log_max_files=3),
        CLASSES,
    )
    for _ in range(100):
        submit_one(log, rows=1)
    log.close()

    files = sorted(tmp_path.glob("predictions-*.jsonl"))
    assert len(files) == 3
    assert all(path.stat().st_size <= 1024 for path in files)
    assert logged_lines(tmp_path)[-1]["label"] == CLASSES[0]


def test_logging_is_off_when_no_directory_is_set(tmp_path: Path) -> None:
    seen: list[Batch] = []
    log = PredictionLog(settings(None), CLASSES, on_batch=seen.append)
    submit_one(log)
    log.close()
    assert len(seen) == 1
    assert not seen[0].write


def test_a_file_the_retention_deleted_while_the_pod_was_idle_is_replaced_not_written_to(
    tmp_path: Path,
) -> None:
    log = PredictionLog(settings(tmp_path), CLASSES)
    submit_one(log)
    deadline = time.monotonic() + 10
    while not any(path.stat().st_size for path in tmp_path.glob("predictions-*.jsonl")):
        assert time.monotonic() < deadline, "the writer never wrote"
        time.sleep(0.05)
    [first] = tmp_path.glob("predictions-*.jsonl")
    first.unlink()  # what retention.enforce does to a file older than the retention
    log.last_write -= IDLE_CHECK_SECONDS + 1
    submit_one(log)
    log.close()

    assert len(logged_lines(tmp_path)) == 2
