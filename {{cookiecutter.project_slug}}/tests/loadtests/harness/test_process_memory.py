"""Memory of a real process tree, and the verdict on samples of it."""

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from harness.process_memory import (
    MIB,
    MemorySample,
    MemorySampler,
    judge_second_half,
    tree_rss_bytes,
)

# A parent whose child holds 64 MiB, written (not just reserved), so it is resident.
PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", CHILD])
child.wait()
"""
CHILD = (
    "import time; block = b'\\\\x01' * (64 << 20); print('allocated', flush=True); time.sleep(60)"
)


@pytest.fixture
def parent_of_a_large_child() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", f"CHILD = {CHILD!r}\n{PARENT}"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "allocated"
    children = psutil.Process(process.pid).children(recursive=True)
    try:
        yield process
    finally:
        process.kill()
        process.wait()
        for child in children:  # orphaned, not killed, when a test kills the parent
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()


def test_tree_memory_includes_the_children(
    parent_of_a_large_child: subprocess.Popen[str],
) -> None:
    parent = psutil.Process(parent_of_a_large_child.pid)

    total = tree_rss_bytes(parent.pid)

    assert total >= 64 * MIB + parent.memory_info().rss
    assert total > parent.memory_info().rss + parent.children()[0].memory_info().rss // 2


def test_sampler_samples_until_stopped_and_ends_with_its_process(
    parent_of_a_large_child: subprocess.Popen[str],
) -> None:
    sampler = MemorySampler(parent_of_a_large_child.pid, interval_seconds=0.05)
    sampler.start()
    time.sleep(0.4)
    parent_of_a_large_child.kill()
    parent_of_a_large_child.wait()
    sampler.thread.join(timeout=5)

    assert not sampler.thread.is_alive()
    assert len(sampler.samples) >= 3
    assert all(sample.rss_bytes >= 64 * MIB for sample in sampler.samples[:3])


def samples(values_mib: list[float]) -> list[MemorySample]:
    """One sample a second from t=0."""
    return [MemorySample(float(t), int(value * MIB)) for t, value in enumerate(values_mib)]


def test_flat_memory_after_warm_up_passes() -> None:
    warm_up = [200.0 + t for t in range(50)]  # start-up growth, in the first half only
    verdict = judge_second_half(samples([*warm_up, *[250.0] * 50]), 0.0, 99.0, bound_mib=12)

    assert verdict.passed
    assert verdict.samples == 50
    assert verdict.mean_mib == verdict.peak_mib == 250.0


def test_steady_growth_in_the_second_half_fails() -> None:
    """A leak: 40 MiB over the second half puts the peak about 20 MiB above the mean."""
    growing = [250.0] * 50 + [250.0 + 40 * t / 49 for t in range(50)]
    verdict = judge_second_half(samples(growing), 0.0, 99.0, bound_mib=12)

    assert not verdict.passed
    assert verdict.peak_above_mean_mib == pytest.approx(20.0)


def test_no_sample_in_the_second_half_fails() -> None:
    assert not judge_second_half(samples([250.0] * 10), 0.0, 100.0, bound_mib=12).passed
