"""How long the prediction log is kept, across every pod that ever wrote to it.

Each service pod bounds its own files (prediction_log.py: max_file_bytes x max_files),
but a pod replaced by a rollout or a scale-in leaves its folder behind on the shared
volume. The drift job, which reads the whole volume every hour, applies this first
(docs/prediction-log.md): files older than the retention age go, then the oldest until
the total fits the size limit, then pod folders left empty."""

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from .label_log import LABEL_FILE_PREFIX
from .prediction_log import FILE_PREFIX, FILE_SUFFIX

# A folder this recently changed may belong to a pod that is about to write its first file.
EMPTY_FOLDER_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class Retention:
    max_age_seconds: float
    max_total_bytes: int

    @classmethod
    def of(cls, days: float, gib: float) -> "Retention":
        return cls(max_age_seconds=days * 86_400, max_total_bytes=int(gib * 1024**3))


@dataclass(frozen=True)
class Pruned:
    deleted_files: int
    deleted_bytes: int
    kept_files: int
    kept_bytes: int
    deleted_folders: int


def log_files(root: Path) -> list[tuple[float, int, Path]]:
    """(modified, size, path) of every log file under `root`, oldest first."""
    found = []
    for prefix in (FILE_PREFIX, LABEL_FILE_PREFIX):
        for path in root.rglob(f"{prefix}*{FILE_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):  # rotated away by its pod meanwhile
                status = path.stat()
                found.append((status.st_mtime, status.st_size, path))
    return sorted(found)


def enforce(root: Path, retention: Retention, now: float | None = None) -> Pruned:
    """Delete what the retention no longer allows; return what was deleted and kept."""
    now = time.time() if now is None else now
    # Taken before deleting, which touches the folders a deletion empties.
    folders = {
        folder: folder.stat().st_mtime
        for folder in (root.iterdir() if root.is_dir() else ())
        if folder.is_dir()
    }
    files = log_files(root)
    total = sum(size for _, size, _ in files)
    oldest_allowed = now - retention.max_age_seconds
    deleted_files = deleted_bytes = 0
    for modified, size, path in files:
        if modified >= oldest_allowed and total <= retention.max_total_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        deleted_files += 1
        deleted_bytes += size
    deleted_folders = 0
    for folder, modified in folders.items():
        if now - modified > EMPTY_FOLDER_GRACE_SECONDS:
            # rmdir refuses a folder that is not empty: a pod still writing there.
            with contextlib.suppress(OSError):
                folder.rmdir()
                deleted_folders += 1
    return Pruned(deleted_files, deleted_bytes, len(files) - deleted_files, total, deleted_folders)
