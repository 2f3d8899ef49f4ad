"""How many CPUs this process may use: the container's CPU limit, not the host's cores.

In Kubernetes, `resources.limits.cpu` becomes a CFS quota in the container's cgroup,
while `os.cpu_count()` still reports every core of the node. A server that sizes itself
by the node's cores runs more workers and threads than it may use at once: they are
throttled in turn, which shows up as p99 latency, not as throughput.
"""

import math
import os
from pathlib import Path

CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def cgroup_cpu_limit(
    v2_cpu_max: Path = CGROUP_V2_CPU_MAX,
    v1_quota: Path = CGROUP_V1_QUOTA,
    v1_period: Path = CGROUP_V1_PERIOD,
) -> float | None:
    """CPUs allowed by the cgroup's quota (e.g. 2.0 for `limits.cpu: 2`), or None if unlimited."""
    if v2_cpu_max.exists():
        quota, _, period = v2_cpu_max.read_text().strip().partition(" ")
        return None if quota == "max" else int(quota) / int(period)
    if v1_quota.exists() and v1_period.exists():
        quota_us = int(v1_quota.read_text())
        return None if quota_us <= 0 else quota_us / int(v1_period.read_text())
    return None


def usable_cpus() -> int:
    """Whole CPUs this process may keep busy: the cgroup limit rounded down (at least one),
    or the CPUs it is pinned to when there is no limit."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    limit = cgroup_cpu_limit()
    if limit is None:
        return available or 1
    return max(1, min(available or 1, math.floor(limit)))
