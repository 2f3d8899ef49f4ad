from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cpu_budget
from {{ cookiecutter.package_name }}.cpu_budget import cgroup_cpu_limit, usable_cpus

ABSENT = Path("/nonexistent/cpu")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("200000 100000\n", 2.0),
        ("150000 100000\n", 1.5),
        ("50000 100000\n", 0.5),
        ("max 100000\n", None),
    ],
)
def test_cgroup_v2_quota_is_read_in_cpus(
    tmp_path: Path, cpu_max: str, expected: float | None
) -> None:
    v2 = write(tmp_path, "cpu.max", cpu_max)
    assert cgroup_cpu_limit(v2, ABSENT, ABSENT) == expected


@pytest.mark.parametrize(("quota", "expected"), [("400000", 4.0), ("-1", None)])
def test_cgroup_v1_quota_is_read_when_v2_is_absent(
    tmp_path: Path, quota: str, expected: float | None
) -> None:
    quota_path = write(tmp_path, "cpu.cfs_quota_us", quota)
    period_path = write(tmp_path, "cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(ABSENT, quota_path, period_path) == expected


def test_no_cgroup_means_no_limit() -> None:
    assert cgroup_cpu_limit(ABSENT, ABSENT, ABSENT) is None


@pytest.mark.parametrize(("limit", "expected"), [(2.0, 2), (1.5, 1), (0.25, 1), (64.0, 4)])
def test_usable_cpus_round_the_limit_down_within_the_cpus_available(
    monkeypatch: pytest.MonkeyPatch, limit: float, expected: int
) -> None:
    monkeypatch.setattr(cpu_budget, "cgroup_cpu_limit", lambda: limit)
    monkeypatch.setattr(cpu_budget.os, "sched_getaffinity", lambda _: {0, 1, 2, 3}, raising=False)
    assert usable_cpus() == expected


def test_usable_cpus_without_a_limit_are_the_cpus_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cpu_budget, "cgroup_cpu_limit", lambda: None)
    monkeypatch.setattr(cpu_budget.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    assert usable_cpus() == 3
