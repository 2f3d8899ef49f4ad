"""`make soak`: the soak shape (shapes/soak.py, SOAK_MINUTES) against a service this
harness starts itself, judged three ways. It passes only if no request failed, every
full minute met the SLOs on its own, and the service's memory stayed flat in the second
half of the run. Reports go to --report-dir: windows.md/json, memory.csv/json, soak.json,
and Locust's own report and verdict for the whole run."""

import argparse
import collections
import json
import sys
from dataclasses import asdict
from pathlib import Path

import service_level
from harness import soak_minutes
from harness.local_service import LocalService, keys_file_from_environment
from harness.locust_process import request_log, start_locust
from harness.process_memory import MemorySampler, judge_second_half, write_csv
from harness.recorded_run import RecordedRun, read_recorded_run

# Peak minus mean of the service's memory over the second half of the run. Measured here
# (docs/load-tests.md): it grows by about 9 MiB in the first minute while warming up, then
# moves in steps of a MiB or two as the allocator takes another block, and stays there;
# a step in the second half puts the peak at most a MiB or two above the mean. A leak
# grows steadily: growth G over the second half puts the peak G/2 above the mean, so
# 12 MiB catches 24 MiB of growth, about 140 bytes per request in a 30-minute soak at
# 200 requests a second. A fixed figure, not a share of the total: the total is mostly
# the interpreter and libraries, which says nothing about a leak.
MEMORY_BOUND_MIB = 12.0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True, help="what bentoml serve serves")
    parser.add_argument("--report-dir", type=Path, default=Path("build/loadtest/soak"))
    parser.add_argument("--window-seconds", type=float, default=60.0)
    parser.add_argument("--memory-interval-seconds", type=float, default=5.0)
    parser.add_argument("--memory-bound-mib", type=float, default=MEMORY_BOUND_MIB)
    return parser.parse_args(argv)


def failure_problems(run: RecordedRun) -> list[str]:
    """Zero failed requests: the SLOs tolerate 1%, a soak at a steady load tolerates none."""
    failures = collections.Counter(r.failure for r in run.requests if r.failure is not None)
    if not failures:
        return []
    common = "; ".join(f"{count} x {message}" for message, count in failures.most_common(3))
    return [f"{sum(failures.values())} of {len(run.requests)} requests failed: {common}"]


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    report_dir: Path = args.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    service = LocalService(
        args.service, report_dir / "service.log", keys_file_from_environment()
    ).start()
    try:
        print(f"{args.service} ready in {service.wait_until_ready():.1f} s at {service.url}")
        sampler = MemorySampler(service.pid, args.memory_interval_seconds)
        sampler.start()
        locust_exit_code = start_locust(service.url, report_dir, shape="soak").wait()
        samples = sampler.stop()
        service_exit_code = service.process.poll() if service.process else None
    finally:
        service.stop()

    run = read_recorded_run(request_log(report_dir))
    objectives = service_level.load_objectives()
    windows = soak_minutes.judge_windows(run, objectives, args.window_seconds)
    memory = judge_second_half(samples, run.started, run.stopped, args.memory_bound_mib)

    problems = failure_problems(run)
    if locust_exit_code != 0:
        problems.append(f"Locust exited {locust_exit_code}: see its verdict above")
    if service_exit_code is not None:
        problems.append(f"the service exited {service_exit_code} during the run: see service.log")
    if not windows:
        problems.append(
            f"the run ({run.seconds:.0f} s) held no full {args.window_seconds:g}-second "
            "window: raise SOAK_MINUTES"
        )
    missed = [soak_minutes.format_offset(w.start_seconds) for w in windows if not w.passed]
    if missed:
        problems.append(f"SLOs missed in the windows starting at {', '.join(missed)}")
    if not memory.passed:
        problems.append(
            f"memory peaked {memory.peak_above_mean_mib:.1f} MiB above its second-half mean "
            f"({memory.mean_mib:.1f} MiB over {memory.samples} samples); the bound is "
            f"{memory.bound_mib:g} MiB: look for a leak (memory.csv shows the trend)"
        )

    table = soak_minutes.as_markdown(windows)
    (report_dir / "windows.md").write_text(table)
    (report_dir / "windows.json").write_text(
        json.dumps(soak_minutes.as_json(windows, args.window_seconds), indent=2)
    )
    write_csv(samples, run.started, report_dir / "memory.csv")
    memory_report = {**asdict(memory), "peak_above_mean_mib": memory.peak_above_mean_mib}
    (report_dir / "memory.json").write_text(json.dumps(memory_report, indent=2))
    summary = {
        "passed": not problems,
        "problems": problems,
        "seconds": round(run.seconds, 1),
        "requests": len(run.requests),
        "failures": sum(request.failure is not None for request in run.requests),
        "windows": len(windows),
        "windows_passed": sum(window.passed for window in windows),
        "memory": memory_report,
    }
    (report_dir / "soak.json").write_text(json.dumps(summary, indent=2))

    print(f"\nSoak: {run.seconds:.0f} s, {len(run.requests)} requests\n\n{table}")
    print(
        f"Memory (second half, {memory.samples} samples): mean {memory.mean_mib:.1f} MiB, "
        f"peak {memory.peak_mib:.1f} MiB, peak - mean {memory.peak_above_mean_mib:.1f} MiB "
        f"(bound {memory.bound_mib:g} MiB)"
    )
    print("\nSoak verdict: " + ("PASSED" if not problems else "FAILED\n  " + "\n  ".join(problems)))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
