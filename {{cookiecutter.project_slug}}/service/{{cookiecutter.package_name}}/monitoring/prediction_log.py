"""Prediction logging that never makes a request wait for the disk.

The request path only appends one tuple to a bounded in-memory queue. A background
thread wakes every DRAIN_SECONDS, takes everything queued and turns it into JSON lines
(one per record: features, predicted label, confidence, probabilities, model version,
time; never headers or the API key) and appends them to files in
SERVICE_PREDICTION_LOG_DIR. Files rotate at a size limit and the oldest are deleted, so
the log never outgrows `max_file_bytes * max_files`. If the disk is too slow for the
traffic (or EFS stalls), the queue fills up to its byte bound and new predictions are
dropped and counted, instead of requests waiting or the worker's memory growing.
"""

import json
import logging
import os
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import numpy as np
from pydantic import Field

from ..features import as_values
from ..json_logging import REQUEST_ID
from ..settings import EnvironmentSettings

logger = logging.getLogger(__name__)

FILE_PREFIX = "predictions-"
FILE_SUFFIX = ".jsonl"
# The writer wakes this often, rather than on every submit: waking a thread per request
# made the event loop hand over the GIL each time, which cost more than the logging.
DRAIN_SECONDS = 0.1
# After this long without a write, check that the open file still exists: the retention
# (retention.py) deletes files older than its age, and an idle pod's open file can be one.
IDLE_CHECK_SECONDS = 3600
# What a queued batch costs beyond its arrays and labels: the Batch, the list, the deque slot.
BATCH_OVERHEAD_BYTES = 256


class PredictionLogSettings(EnvironmentSettings):
    """SERVICE_PREDICTION_LOG_*: unset directory means prediction logging is off."""

    prediction_log_dir: Path | None = None
    prediction_log_sample_rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    prediction_log_max_file_bytes: Annotated[int, Field(ge=1024, le=1024**3)] = 16 * 1024**2
    prediction_log_max_files: Annotated[int, Field(ge=1, le=10_000)] = 32
    prediction_log_queue_bytes: Annotated[int, Field(ge=1024, le=1024**3)] = 32 * 1024**2


@dataclass(frozen=True)
class Batch:
    """One answered request, as the request path hands it over (no copies, no JSON)."""

    logged_at: float
    request_id: str | None
    model_version: str
    features: np.ndarray
    labels: list[str]
    probabilities: np.ndarray
    write: bool

    @property
    def size_bytes(self) -> int:
        """Memory the batch holds while queued, close enough to bound the queue by."""
        labels = sum(len(label) for label in self.labels)
        return self.features.nbytes + self.probabilities.nbytes + labels + BATCH_OVERHEAD_BYTES


class PredictionLog:
    """Queue + writer thread. `submit` never blocks; `close` writes what is queued.

    The queue is a deque: `append` and `popleft` are atomic under the GIL, so the request
    path takes no lock and wakes nobody. Its size in bytes is what was queued minus what
    was taken, two counters each written by one thread only."""

    def __init__(
        self,
        settings: PredictionLogSettings,
        class_names: tuple[str, ...],
        on_batch: Callable[[Batch], None] = lambda batch: None,
        on_drop: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.class_names = class_names
        self.on_batch = on_batch
        self.on_drop = on_drop
        self.queue: deque[Batch] = deque()
        self.bytes_queued = 0  # written by the request path only
        self.bytes_taken = 0  # written by the writer thread only
        self.closing = threading.Event()
        self.file: TextIO | None = None
        self.file_name_stem = f"{FILE_PREFIX}{socket.gethostname()}-{os.getpid()}"
        self.files_opened = 0
        self.last_write = time.monotonic()
        self.thread = threading.Thread(target=self.run, name="prediction-log", daemon=True)
        self.thread.start()

    @property
    def directory(self) -> Path | None:
        return self.settings.prediction_log_dir

    def submit(
        self,
        model_version: str,
        features: np.ndarray,
        labels: list[str],
        probabilities: np.ndarray,
    ) -> None:
        """Called on the request path: a sampling decision and an append."""
        write = self.directory is not None and (
            random.random() < self.settings.prediction_log_sample_rate  # noqa: S311
        )
        batch = Batch(
            time.time(), REQUEST_ID.get(), model_version, features, labels, probabilities, write
        )
        queued = self.bytes_queued - self.bytes_taken
        if queued + batch.size_bytes > self.settings.prediction_log_queue_bytes:
            self.on_drop()
            return
        self.bytes_queued += batch.size_bytes
        self.queue.append(batch)

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued so far, then stop the writer."""
        self.closing.set()
        self.thread.join(timeout)

    def run(self) -> None:
        while not self.closing.wait(DRAIN_SECONDS):
            self.drain()
        self.drain()
        if self.file:
            self.file.close()

    def drain(self) -> None:
        """Handle every queued batch, then flush, so the drift job sees recent traffic."""
        while self.queue:
            batch = self.queue.popleft()
            self.bytes_taken += batch.size_bytes
            try:
                self.handle(batch)
            except Exception:
                logger.exception("could not log a prediction batch; continuing")
        if self.file:
            self.file.flush()

    def handle(self, batch: Batch) -> None:
        self.on_batch(batch)
        if batch.write:
            self.write(self.lines(batch))

    def lines(self, batch: Batch) -> str:
        logged_at = datetime.fromtimestamp(batch.logged_at, UTC).isoformat(timespec="milliseconds")
        lines = []
        for record, (row, label, probabilities) in enumerate(
            zip(batch.features.tolist(), batch.labels, batch.probabilities.tolist(), strict=True)
        ):
            probabilities = [round(value, 6) for value in probabilities]
            entry = {
                "time": logged_at,
                "request_id": batch.request_id,
                # The record's place in its request: with the request id, what a true label
                # sent to POST /feedback names.
                "record": record,
                "model_version": batch.model_version,
                # As the record was sent: numbers, integers, categories' text.
                "features": as_values(row),
                "label": label,
                "confidence": max(probabilities),
                "probabilities": dict(zip(self.class_names, probabilities, strict=True)),
            }
            lines.append(json.dumps(entry, separators=(",", ":")) + "\n")
        return "".join(lines)

    def write(self, text: str) -> None:
        limit = self.settings.prediction_log_max_file_bytes
        if self.file is None or self.file.tell() + len(text) > limit or self.deleted_while_idle():
            self.file = self.rotate(self.file)
        self.file.write(text)
        self.last_write = time.monotonic()

    def deleted_while_idle(self) -> bool:
        """Lines written to a deleted file would be lost: start a new one instead."""
        idle = time.monotonic() - self.last_write > IDLE_CHECK_SECONDS
        return idle and self.file is not None and not Path(self.file.name).exists()

    def rotate(self, current: TextIO | None) -> TextIO:
        """Start a new file; delete the oldest beyond `max_files` (the size bound)."""
        if current:
            current.close()
        self.files_opened += 1
        return open_next_file(
            self.directory or Path(),
            self.file_name_stem,
            self.files_opened,
            self.settings.prediction_log_max_files,
        )


def open_next_file(directory: Path, stem: str, number: int, max_files: int) -> TextIO:
    """Open `<stem>-<time>-<number>.jsonl` for appending; delete this writer's oldest files
    beyond `max_files`, so what one writer keeps is bounded."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    opened = (directory / f"{stem}-{stamp}-{number:06d}{FILE_SUFFIX}").open("a", encoding="utf-8")
    own = sorted(directory.glob(f"{stem}-*{FILE_SUFFIX}"))
    for stale in own[:-max_files]:
        stale.unlink(missing_ok=True)
    return opened
