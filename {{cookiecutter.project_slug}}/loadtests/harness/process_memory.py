"""The resident memory of a server's whole process tree, sampled while the load runs,
and the verdict on it: memory that keeps growing under a steady load is a leak, and
a leak is what takes a pod down at its memory limit hours after a canary passed."""

import csv
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

MIB = 1024 * 1024


@dataclass(frozen=True)
class MemorySample:
    at: float  # Unix time
    rss_bytes: int  # summed over the process and all of its children


def tree_rss_bytes(pid: int) -> int:
    """Resident set size of `pid` and every descendant (`bentoml serve` runs its workers as
    children). Summed RSS counts pages the processes share once per process; that
    overstates the total, but by the same amount in every sample, and growth is what
    is judged."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue  # a child that exited between listing and reading holds no memory
    return total


class MemorySampler:
    """Samples `tree_rss_bytes(pid)` every `interval_seconds` on a background thread,
    from start() until stop()."""

    def __init__(self, pid: int, interval_seconds: float) -> None:
        self.pid = pid
        self.interval_seconds = interval_seconds
        self.samples: list[MemorySample] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="memory-sampler", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while True:
            try:
                self.samples.append(MemorySample(time.time(), tree_rss_bytes(self.pid)))
            except psutil.NoSuchProcess:
                return  # the server is gone; the harness reports that on its own
            if self.stopping.wait(self.interval_seconds):
                return

    def stop(self) -> list[MemorySample]:
        self.stopping.set()
        self.thread.join()
        return self.samples


@dataclass(frozen=True)
class MemoryVerdict:
    samples: int
    mean_mib: float
    peak_mib: float
    bound_mib: float

    @property
    def peak_above_mean_mib(self) -> float:
        return self.peak_mib - self.mean_mib

    @property
    def passed(self) -> bool:
        return self.samples > 0 and self.peak_above_mean_mib <= self.bound_mib


def judge_second_half(
    samples: list[MemorySample], started: float, stopped: float, bound_mib: float
) -> MemoryVerdict:
    """Peak minus mean over the samples of the second half of [started, stopped]: the
    first half holds start-up and warm-up growth, which is not a leak. Memory growing
    steadily by G over the second half puts the peak about G/2 above the mean."""
    middle = started + (stopped - started) / 2
    values = [sample.rss_bytes / MIB for sample in samples if middle <= sample.at <= stopped]
    if not values:
        return MemoryVerdict(0, 0.0, 0.0, bound_mib)
    return MemoryVerdict(len(values), sum(values) / len(values), max(values), bound_mib)


def write_csv(samples: list[MemorySample], started: float, path: Path) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["seconds", "rss_mib"])
        for sample in samples:
            writer.writerow([f"{sample.at - started:.1f}", f"{sample.rss_bytes / MIB:.1f}"])
