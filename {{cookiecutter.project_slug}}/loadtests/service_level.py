"""The SLOs and the verdict of a run against them: pure functions, no Locust needed."""

import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

SLO_FILE = Path(__file__).resolve().parent / "slo.toml"


@dataclass(frozen=True)
class Objectives:
    p95_latency_ms: float
    p99_latency_ms: float
    max_error_ratio: float
    min_requests_per_second: float


@dataclass(frozen=True)
class Measurement:
    requests: int
    failures: int
    p95_latency_ms: float
    p99_latency_ms: float
    requests_per_second: float

    @property
    def error_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 1.0


@dataclass(frozen=True)
class Check:
    metric: str
    threshold: str
    measured: str
    passed: bool


def load_objectives(path: Path = SLO_FILE) -> Objectives:
    """Read the [slo] table; a missing or non-positive value is an error naming it."""
    table = tomllib.loads(path.read_text()).get("slo", {})
    values = {}
    for name in Objectives.__dataclass_fields__:
        value = table.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{path}: [slo] {name} must be a positive number, got {value!r}")
        values[name] = float(value)
    return Objectives(**values)


def evaluate(objectives: Objectives, measured: Measurement) -> list[Check]:
    """One check per SLO. A run without requests fails: no traffic proves nothing."""
    return [
        Check("requests", "> 0", str(measured.requests), measured.requests > 0),
        Check(
            "p95 latency",
            f"<= {objectives.p95_latency_ms:g} ms",
            f"{measured.p95_latency_ms:g} ms",
            measured.requests > 0 and measured.p95_latency_ms <= objectives.p95_latency_ms,
        ),
        Check(
            "p99 latency",
            f"<= {objectives.p99_latency_ms:g} ms",
            f"{measured.p99_latency_ms:g} ms",
            measured.requests > 0 and measured.p99_latency_ms <= objectives.p99_latency_ms,
        ),
        Check(
            "error ratio",
            f"<= {objectives.max_error_ratio:.2%}",
            f"{measured.error_ratio:.2%}",
            measured.error_ratio <= objectives.max_error_ratio,
        ),
        Check(
            "throughput",
            f">= {objectives.min_requests_per_second:g} req/s",
            f"{measured.requests_per_second:.1f} req/s",
            measured.requests_per_second >= objectives.min_requests_per_second,
        ),
    ]


def passed(checks: list[Check]) -> bool:
    return all(check.passed for check in checks)


def as_table(checks: list[Check]) -> str:
    rows = [("metric", "threshold", "measured", "result")]
    rows += [(c.metric, c.threshold, c.measured, "pass" if c.passed else "FAIL") for c in checks]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_markdown(checks: list[Check]) -> str:
    verdict = "passed" if passed(checks) else "failed"
    lines = [
        f"### Load test {verdict}",
        "",
        "| metric | threshold | measured | result |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {c.metric} | {c.threshold} | {c.measured} | {'pass' if c.passed else '**FAIL**'} |"
        for c in checks
    ]
    return "\n".join(lines) + "\n"


def as_json(checks: list[Check], measured: Measurement) -> dict:
    return {
        "passed": passed(checks),
        "measured": asdict(measured),
        "checks": [asdict(c) for c in checks],
    }
