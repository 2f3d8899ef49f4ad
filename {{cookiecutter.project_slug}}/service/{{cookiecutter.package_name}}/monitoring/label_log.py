"""True labels, sent after the fact to POST /feedback, kept beside the prediction log as
JSON lines (one per label: time, the prediction's request id and record, the label). The
drift job joins them with the logged predictions and measures the model's accuracy
(quality.py).

Written on the request path, unlike predictions: a feedback request is rare next to
predictions, and its client is told the labels were recorded only once they are. Files
rotate and are bounded like the prediction log's, and the retention covers them.
"""

import json
import os
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from .prediction_log import PredictionLogSettings, open_next_file

LABEL_FILE_PREFIX = "labels-"


class LabelLog:
    def __init__(self, settings: PredictionLogSettings) -> None:
        if settings.prediction_log_dir is None:
            raise ValueError("labels are kept beside the prediction log, which is off")
        self.settings = settings
        self.directory = settings.prediction_log_dir
        self.file_name_stem = f"{LABEL_FILE_PREFIX}{socket.gethostname()}-{os.getpid()}"
        self.files_opened = 0
        self.file: TextIO | None = None
        # BentoML runs a synchronous API in a thread pool: one writer at a time.
        self.lock = threading.Lock()

    def append(self, labels: list[tuple[str, int, str]]) -> None:
        """Record (request id, record, label) triples, and make sure they are written."""
        time = datetime.now(UTC).isoformat(timespec="milliseconds")
        text = "".join(
            json.dumps(
                {"time": time, "request_id": request_id, "record": record, "label": label},
                separators=(",", ":"),
            )
            + "\n"
            for request_id, record, label in labels
        )
        with self.lock:
            limit = self.settings.prediction_log_max_file_bytes
            # The retention may have deleted a file left open for long: start another.
            gone = self.file is not None and not Path(self.file.name).exists()
            if self.file is None or gone or self.file.tell() + len(text) > limit:
                if self.file is not None:
                    self.file.close()
                self.files_opened += 1
                self.file = open_next_file(
                    self.directory,
                    self.file_name_stem,
                    self.files_opened,
                    self.settings.prediction_log_max_files,
                )
            self.file.write(text)
            self.file.flush()
