"""`make bench`: start each server in turn, drive it with the same load, report side by side.

    uv run python -m bench [--seconds 10] [--trials 3] [--warmup-seconds 5] [--output build/bench]

One server at a time, on loopback (the service also without its access log, and with
tracing on), with the same trained model and the same request
bodies: a single record, then batches of 100. Each scenario is measured in several
trials, each on new connections, and the table shows the median trial: with two worker
processes sharing a listening socket, whichever is awake first accepts new connections,
and now and then one of them takes all 32, which halves that trial. Not a test: it
asserts nothing about speed and exits 0 whether or not the targets are met; it prints
which are.
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.load import LoadGeneratorMissing, run_wrk, wrk_path
from bench.report import Row, markdown_table, targets, with_ratios, write_chart, write_json
from bench.servers import RunningServer, ServerSpec, check_prediction
from bench.setup import CONNECTIONS, prepare_model, server_specs, write_bodies
from harness.otlp_receiver import receiving

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured time per trial")
    parser.add_argument("--trials", type=int, default=3, help="trials per scenario (median)")
    parser.add_argument("--warmup-seconds", type=int, default=5, help="unmeasured load first")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "build" / "bench")
    options = parser.parse_args(argv)
    if options.seconds < 1 or options.trials < 1:
        parser.error("--seconds and --trials must be at least 1")
    return options


def measure(
    spec: ServerSpec,
    bodies: dict[str, tuple[Path, int]],
    api_key: str,
    options: argparse.Namespace,
) -> list[Row]:
    """Start one server, time its start, warm it up and measure each request body."""
    busy = machine.busy_cpus()
    load_average = os.getloadavg()[0]
    server = RunningServer(spec, options.output / f"{spec.name}.log", cwd=PROJECT_ROOT)
    try:
        ready_seconds = server.wait_until_ready()
        results = []
        for scenario, (body_path, records) in bodies.items():
            url = f"{server.url}/predict"
            check_prediction(server, body_path, api_key, records)
            if options.warmup_seconds:
                run_wrk(url, body_path, api_key, CONNECTIONS, options.warmup_seconds)
            trials = [
                run_wrk(url, body_path, api_key, CONNECTIONS, options.seconds)
                for _ in range(options.trials)
            ]
            results.append((scenario, records, trials))
    finally:
        server.stop()
    rows = []
    for scenario, records, trials in results:
        # The whole median trial, so its latencies belong to its rate; errors from all.
        median = sorted(trials, key=lambda trial: trial.requests_per_second)[len(trials) // 2]
        rows.append(
            Row(
                server=spec.name,
                scenario=scenario,
                records_per_request=records,
                requests_per_second=median.requests_per_second,
                records_per_second=median.requests_per_second * records,
                p50_ms=median.p50_ms,
                p99_ms=median.p99_ms,
                non_2xx=sum(trial.non_2xx for trial in trials),
                socket_errors=sum(trial.socket_errors for trial in trials),
                peak_rss_mib=server.peak_rss_bytes / 2**20,
                ready_seconds=ready_seconds,
                load_average=load_average,
                busy_cpus_before=busy,
                trials_requests_per_second=[trial.requests_per_second for trial in trials],
            )
        )
    return rows


def main(argv: list[str]) -> int:
    options = parse_arguments(argv)
    try:
        wrk_path()
    except LoadGeneratorMissing as error:
        print(error, file=sys.stderr)
        return 2
    options.output.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    api_key = secrets.token_urlsafe(32)
    rows: list[Row] = []
    # The traced servers' spans go to a receiver on loopback, as to the cluster's collector.
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch, receiving() as receiver:
        files = prepare_model(Path(scratch))
        bodies = write_bodies(Path(scratch))
        specs = server_specs(files, api_key, receiver.url)
        for spec in specs:
            print(f"benchmarking {spec.name}: {spec.description}", file=sys.stderr)
            rows += measure(spec, bodies, api_key, options)
        spans_received = len(receiver.received())
    rows = with_ratios(rows)
    run = {
        "started": started,
        "machine": machine.describe(),
        "load_generator": f"wrk, 1 thread, {CONNECTIONS} connections, closed loop",
        "seconds": options.seconds,
        "trials": options.trials,
        "warmup_seconds": options.warmup_seconds,
        "servers": {spec.name: spec.description for spec in specs},
        "spans_received": spans_received,
    }
    table = markdown_table(rows)
    print(table)
    for text, met in targets(rows):
        print(f"{'met' if met else 'MISSED'}: {text}")
    write_json(options.output / "results.json", rows, run)
    (options.output / "results.md").write_text(table + "\n")
    title = f"make bench on {run['machine']['cpus']} CPUs ({run['machine']['cpu']}), {started}"
    write_chart(options.output / "results.png", rows, title)
    print(f"wrote results.json, results.md and results.png in {options.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
