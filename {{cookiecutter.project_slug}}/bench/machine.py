"""What the benchmark ran on, and how busy the machine was with other work."""

import os
import platform
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
CPU_INFO = Path("/proc/cpuinfo")


def describe() -> dict[str, object]:
    model = platform.processor() or platform.machine()
    if CPU_INFO.exists():
        names = [
            line for line in CPU_INFO.read_text().splitlines() if line.startswith("model name")
        ]
        model = names[0].split(":", 1)[1].strip() if names else model
    return {
        "cpu": model,
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def busy_cpus(seconds: float = 1.0) -> float | None:
    """CPUs kept busy by everything else, measured just before a server starts: load
    from other processes steals cycles from the server and lowers its numbers."""
    if not PROC_STAT.exists():
        return None

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    busy_before, total_before = sample()
    time.sleep(seconds)
    busy_after, total_after = sample()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (busy_after - busy_before) / max(1, total_after - total_before) * (cpus or 1)
