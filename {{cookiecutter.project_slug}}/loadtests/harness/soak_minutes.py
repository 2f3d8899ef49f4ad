"""A run judged minute by minute: the SLOs must hold in every full window, not just on
average, because a soak looks for the slow degradation that an average hides."""

import math
from dataclasses import asdict, dataclass

import service_level
from harness.recorded_run import RecordedRun, RequestRecord

# The shape stops the run at its first one-second tick past the duration, so the stop can
# fall a fraction of a second early relative to when the first user started; a window
# that ends within this much after the stop still counts as full.
STOP_TOLERANCE_SECONDS = 1.0


@dataclass(frozen=True)
class Window:
    index: int
    start_seconds: float  # from the start of the run
    measured: service_level.Measurement
    checks: list[service_level.Check]

    @property
    def passed(self) -> bool:
        return service_level.passed(self.checks)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of all at or below it."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(math.ceil(fraction * len(sorted_values)) - 1, 0)]


def measure(requests: list[RequestRecord], seconds: float) -> service_level.Measurement:
    latencies = sorted(request.response_ms for request in requests)
    return service_level.Measurement(
        requests=len(requests),
        failures=sum(request.failure is not None for request in requests),
        p95_latency_ms=round(percentile(latencies, 0.95), 1),
        p99_latency_ms=round(percentile(latencies, 0.99), 1),
        requests_per_second=len(requests) / seconds,
    )


def full_windows(run: RecordedRun, window_seconds: float) -> list[list[RequestRecord]]:
    """The requests of each window the run covered completely, by the time they were sent;
    a last, partial window is left out (too few seconds to judge a rate on)."""
    count = int((run.seconds + STOP_TOLERANCE_SECONDS) // window_seconds)
    windows: list[list[RequestRecord]] = [[] for _ in range(count)]
    for request in run.requests:
        index = int((request.started - run.started) // window_seconds)
        if 0 <= index < count:
            windows[index].append(request)
    return windows


def judge_windows(
    run: RecordedRun, objectives: service_level.Objectives, window_seconds: float
) -> list[Window]:
    """Every full window measured and checked with the same evaluate() as a whole run."""
    judged = []
    for index, requests in enumerate(full_windows(run, window_seconds)):
        measured = measure(requests, window_seconds)
        checks = service_level.evaluate(objectives, measured)
        judged.append(Window(index, index * window_seconds, measured, checks))
    return judged


def as_markdown(windows: list[Window]) -> str:
    lines = [
        "| window | requests | failures | p95 ms | p99 ms | req/s | SLOs |",
        "|---|---|---|---|---|---|---|",
    ]
    for window in windows:
        measured = window.measured
        missed = ", ".join(check.metric for check in window.checks if not check.passed)
        lines.append(
            f"| {format_offset(window.start_seconds)} | {measured.requests} | "
            f"{measured.failures} | {measured.p95_latency_ms:g} | {measured.p99_latency_ms:g} | "
            f"{measured.requests_per_second:.1f} | "
            f"{'met' if window.passed else f'**missed: {missed}**'} |"
        )
    return "\n".join(lines) + "\n"


def as_json(windows: list[Window], window_seconds: float) -> dict:
    return {
        "window_seconds": window_seconds,
        "passed": bool(windows) and all(window.passed for window in windows),
        "windows": [
            {
                "index": window.index,
                "start_seconds": window.start_seconds,
                "passed": window.passed,
                "measured": asdict(window.measured),
                "checks": [asdict(check) for check in window.checks],
            }
            for window in windows
        ],
    }


def format_offset(seconds: float) -> str:
    """Minutes and seconds since the start of the run: 12:00."""
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
