from pathlib import Path

import pytest

import service_level
from service_level import Measurement, Objectives

OBJECTIVES = Objectives(
    p95_latency_ms=100, p99_latency_ms=200, max_error_ratio=0.01, min_requests_per_second=10
)
HEALTHY = Measurement(
    requests=1000, failures=0, p95_latency_ms=20, p99_latency_ms=50, requests_per_second=50
)


def failed_metrics(measured: Measurement) -> list[str]:
    return [
        check.metric for check in service_level.evaluate(OBJECTIVES, measured) if not check.passed
    ]


def test_shipped_slo_file_is_valid() -> None:
    objectives = service_level.load_objectives()
    assert objectives.p95_latency_ms <= objectives.p99_latency_ms
    assert 0 < objectives.max_error_ratio < 1


def test_healthy_run_passes_every_check() -> None:
    assert failed_metrics(HEALTHY) == []


@pytest.mark.parametrize(
    ("change", "metric"),
    [
        ({"p95_latency_ms": 101}, "p95 latency"),
        ({"p99_latency_ms": 201}, "p99 latency"),
        ({"failures": 11}, "error ratio"),
        ({"requests_per_second": 9.9}, "throughput"),
    ],
)
def test_each_missed_slo_fails_its_own_check(change: dict, metric: str) -> None:
    assert failed_metrics(Measurement(**{**HEALTHY.__dict__, **change})) == [metric]


def test_a_run_without_requests_never_passes() -> None:
    silent = Measurement(
        requests=0, failures=0, p95_latency_ms=0, p99_latency_ms=0, requests_per_second=0
    )
    assert set(failed_metrics(silent)) == {
        "requests",
        "p95 latency",
        "p99 latency",
        "error ratio",
        "throughput",
    }


def test_verdict_reads_as_a_table_and_as_markdown() -> None:
    checks = service_level.evaluate(
        OBJECTIVES, Measurement(**{**HEALTHY.__dict__, "failures": 500})
    )
    table = service_level.as_table(checks)
    markdown = service_level.as_markdown(checks)
    assert table.splitlines()[0].split() == ["metric", "threshold", "measured", "result"]
    assert "error ratio  <= 1.00%" in table and "FAIL" in table
    assert markdown.startswith("### Load test failed")
    assert "| error ratio | <= 1.00% | 50.00% | **FAIL** |" in markdown


@pytest.mark.parametrize("bad", ["-1", "0", '"fast"', "true"])
def test_invalid_slo_value_is_an_error_naming_it(tmp_path: Path, bad: str) -> None:
    slo_file = tmp_path / "slo.toml"
    slo_file.write_text(
        f"[slo]\np95_latency_ms = {bad}\np99_latency_ms = 1\n"
        "max_error_ratio = 0.1\nmin_requests_per_second = 1\n"
    )
    with pytest.raises(ValueError, match="p95_latency_ms must be a positive number"):
        service_level.load_objectives(slo_file)
