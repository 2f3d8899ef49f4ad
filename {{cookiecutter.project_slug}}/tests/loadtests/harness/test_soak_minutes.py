"""Windows judged one by one from synthetic recorded runs: pure functions, no server."""

import json

import pytest

import service_level
from harness.recorded_run import RecordedRun, RequestRecord
from harness.soak_minutes import (
    as_json,
    as_markdown,
    full_windows,
    judge_windows,
    percentile,
)

OBJECTIVES = service_level.Objectives(
    p95_latency_ms=150, p99_latency_ms=400, max_error_ratio=0.01, min_requests_per_second=20
)
START = 1_700_000_000.0


def steady_run(seconds: float, per_second: int = 50, slow_from: int | None = None) -> RecordedRun:
    """`per_second` requests of 5 ms each second; from `slow_from` for five seconds, 500 ms."""
    slow_seconds = range(slow_from, slow_from + 5) if slow_from is not None else range(0)
    requests = [
        RequestRecord(
            START + second + n / per_second,
            500.0 if second in slow_seconds else 5.0,
            "/predict",
            None,
        )
        for second in range(int(seconds))
        for n in range(per_second)
    ]
    return RecordedRun(START, START + seconds, requests)


def test_every_full_window_is_judged_on_its_own_requests() -> None:
    windows = judge_windows(steady_run(180, slow_from=70), OBJECTIVES, 60)

    assert [window.passed for window in windows] == [True, False, True]
    assert [window.measured.requests for window in windows] == [3000, 3000, 3000]
    missed = {check.metric for check in windows[1].checks if not check.passed}
    assert missed == {"p95 latency", "p99 latency"}


def test_a_slow_window_fails_the_run_that_passes_on_average() -> None:
    run = steady_run(180, slow_from=70)
    overall = [request.response_ms for request in run.requests]

    assert percentile(sorted(overall), 0.95) == 5.0  # the whole run meets the p95 SLO
    assert as_json(judge_windows(run, OBJECTIVES, 60), 60)["passed"] is False


def test_a_partial_last_window_is_left_out() -> None:
    assert len(full_windows(steady_run(150), 60)) == 2


def test_a_window_ending_just_after_the_stop_still_counts() -> None:
    """The shape stops the run on a one-second tick, a moment before the last window ends."""
    run = steady_run(120)
    stopped_early = RecordedRun(run.started, run.stopped - 0.4, run.requests)

    assert len(full_windows(stopped_early, 60)) == 2


def test_a_window_without_requests_fails() -> None:
    run = steady_run(60)
    silent_minute = RecordedRun(run.started, run.stopped + 60, run.requests)

    windows = judge_windows(silent_minute, OBJECTIVES, 60)

    assert [window.passed for window in windows] == [True, False]


def test_failures_and_throughput_are_counted_per_window() -> None:
    run = steady_run(120, per_second=10)
    failed = RequestRecord(START + 61, 5.0, "/predict", "status 500")
    windows = judge_windows(
        RecordedRun(run.started, run.stopped, [*run.requests, failed]), OBJECTIVES, 60
    )

    assert [window.measured.failures for window in windows] == [0, 1]
    assert windows[0].measured.requests_per_second == pytest.approx(10.0)


def test_nearest_rank_percentile_is_a_measured_value() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.95) == 0.0


def test_reports_name_each_window_and_what_it_missed() -> None:
    windows = judge_windows(steady_run(180, slow_from=70), OBJECTIVES, 60)

    table = as_markdown(windows)
    report = json.loads(json.dumps(as_json(windows, 60)))

    assert "| 1:00 | 3000 | 0 | 500 | 500 | 50.0 | **missed: p95 latency, p99 latency** |" in table
    assert table.count("| met |") == 2
    assert [window["passed"] for window in report["windows"]] == [True, False, True]
