"""`make bench` end to end, for a second per run: it proves the harness works, not speed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.settings import DEFAULT_TRACE_SAMPLE_RATIO

from bench.report import NO_ACCESS_LOG, traced

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SERVERS = {
    "baseline",
    "service",
    "ceiling",
    NO_ACCESS_LOG,
    traced(1),
    traced(DEFAULT_TRACE_SAMPLE_RATIO),
}
SCENARIOS = {"single": 1, "batch": 100}


@pytest.fixture(scope="module")
def bench_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("wrk") is None:
        message = "wrk is not installed (apt-get install wrk); make bench needs it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    output = tmp_path_factory.mktemp("bench")
    # The harness trains and stores its own model in a private BentoML home.
    environment = {key: value for key, value in os.environ.items() if key != "BENTOML_HOME"}
    environment["PYTHONPATH"] = "loadtests"  # as `make bench` runs it
    arguments = [
        "--seconds",
        "1",
        "--trials",
        "2",
        "--warmup-seconds",
        "0",
        "--output",
        str(output),
    ]
    completed = subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return output


def test_every_server_is_measured_in_every_scenario(bench_output: Path) -> None:
    rows = json.loads((bench_output / "results.json").read_text())["rows"]
    measured = {(row["server"], row["scenario"]) for row in rows}
    assert measured == {(server, scenario) for server in SERVERS for scenario in SCENARIOS}
    for row in rows:
        assert row["requests_per_second"] > 0, row
        assert row["records_per_second"] == pytest.approx(
            row["requests_per_second"] * SCENARIOS[row["scenario"]]
        )
        assert 0 < row["p50_ms"] <= row["p99_ms"], row
        assert row["peak_rss_mib"] > 10, row
        assert row["ready_seconds"] > 0, row
        assert len(row["trials_requests_per_second"]) == 2, row
        assert row["requests_per_second"] in row["trials_requests_per_second"], row


def test_service_answers_the_load_with_its_key_and_no_errors(bench_output: Path) -> None:
    rows = json.loads((bench_output / "results.json").read_text())["rows"]
    for row in rows:
        assert row["non_2xx"] == 0, row
        assert row["socket_errors"] == 0, row


def test_the_traced_servers_spans_reach_the_receiver(bench_output: Path) -> None:
    document = json.loads((bench_output / "results.json").read_text())
    assert document["run"]["spans_received"] > 0


def test_ratios_are_relative_to_the_baseline_and_the_ceiling(bench_output: Path) -> None:
    rows = json.loads((bench_output / "results.json").read_text())["rows"]
    for row in rows:
        if row["server"] == "baseline":
            assert row["vs_baseline"] == pytest.approx(1)
        if row["server"] == "ceiling":
            assert row["vs_ceiling"] == pytest.approx(1)


def test_targets_are_judged_and_the_machine_is_recorded(bench_output: Path) -> None:
    document = json.loads((bench_output / "results.json").read_text())
    assert len(document["targets"]) == 6
    assert {"cpu", "cpus", "python"} <= set(document["run"]["machine"])


def test_table_and_chart_are_written(bench_output: Path) -> None:
    table = (bench_output / "results.md").read_text().splitlines()
    assert table[0].startswith("| ") and "req/s" in table[0]
    assert len(table) == 2 + len(SERVERS) * len(SCENARIOS)
    with Image.open(bench_output / "results.png") as chart:
        assert chart.format == "PNG"
        assert chart.width >= 800
