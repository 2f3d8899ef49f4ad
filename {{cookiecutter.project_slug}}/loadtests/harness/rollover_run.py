"""`make rollover`: replace one of two replicas under load the way Kubernetes replaces a
pod, and count what the clients saw. Two `bentoml serve` processes sit behind a
round-robin proxy; Locust sends a steady load through it. Then one replica leaves as a
pod does: out of the rotation first (endpoint removal), the preStop sleep, SIGTERM to
its process group, and SIGKILL if it outlives the grace period. A new replica starts,
and joins the rotation once /readyz says 200. Any failed request, in any phase, fails
the run; reports go to --report-dir (rollover.md, rollover.json, Locust's own)."""

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from cloud.service_pod import PRESTOP_SLEEP_SECONDS, TERMINATION_GRACE_SECONDS
from harness import rollover_phases
from harness.local_service import LocalService, free_port, keys_file_from_environment
from harness.locust_process import request_log, start_locust, stop_locust
from harness.recorded_run import read_recorded_run
from harness.round_robin_proxy import ProxyThread, Rotation

# The pod's preStop sleep (infra/cloud/service_pod.py), ten times shorter: it covers the
# time the load balancer needs to stop sending, which locally is immediate, and the
# requests still in flight, which take milliseconds here.
TIME_SCALE = 0.1
PRESTOP_SECONDS = PRESTOP_SLEEP_SECONDS * TIME_SCALE
# After SIGTERM the kubelet waits out the rest of the grace period before SIGKILL. That
# is the process's own shutdown time, which does not get shorter on loopback: not scaled.
SHUTDOWN_SECONDS = TERMINATION_GRACE_SECONDS - PRESTOP_SLEEP_SECONDS
# Half the canary gate's users: two replicas and Locust share the machine.
USERS = 8
FIRST_REQUEST_TIMEOUT_SECONDS = 60


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--service", required=True, help="what bentoml serve serves")
    parser.add_argument("--report-dir", type=Path, default=Path("build/loadtest/rollover"))
    parser.add_argument(
        "--phase-seconds", type=float, default=15.0, help="load before and after the switch"
    )
    return parser.parse_args(argv)


def wait_for_first_request(path: Path) -> None:
    """Locust needs a few seconds to start; the phase before the switch starts with its load."""
    deadline = time.monotonic() + FIRST_REQUEST_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if path.exists() and '"request"' in path.read_text():
            return
        time.sleep(0.2)
    raise TimeoutError(f"no request in {path} after {FIRST_REQUEST_TIMEOUT_SECONDS} s")


def replace_replica(
    rotation: Rotation, old: LocalService, new: LocalService, timeline: dict[str, float]
) -> bool:
    """Kubernetes' order for a pod that leaves, then a new pod's way in. True when the old
    replica exited on SIGTERM within the grace period."""
    timeline["withdrawn"] = time.time()
    rotation.withdraw(old.url)
    time.sleep(PRESTOP_SECONDS)
    timeline["sigterm"] = time.time()
    exited_in_grace = old.stop(grace_seconds=SHUTDOWN_SECONDS)
    timeline["exited"] = time.time()
    new.start()
    new.wait_until_ready()
    timeline["new_ready"] = time.time()
    rotation.add(new.url)
    timeline["added"] = time.time()
    return exited_in_grace


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    report_dir: Path = args.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    settings = keys_file_from_environment()
    replicas = [
        LocalService(args.service, report_dir / f"replica-{n}.log", settings) for n in (1, 2, 3)
    ]
    old, steady, new = replicas
    timeline: dict[str, float] = {}
    try:
        for replica in (old, steady):
            replica.start()
        for replica in (old, steady):
            replica.wait_until_ready()
        rotation = Rotation([old.url, steady.url])
        proxy = ProxyThread(free_port(), rotation)
        locust = start_locust(proxy.url, report_dir, users=USERS)
        try:
            wait_for_first_request(request_log(report_dir))
            time.sleep(args.phase_seconds)
            exited_in_grace = replace_replica(rotation, old, new, timeline)
            time.sleep(args.phase_seconds)
        finally:
            locust_exit_code = stop_locust(locust)
            proxy.stop()
    finally:
        for replica in replicas:
            replica.stop()

    run = read_recorded_run(request_log(report_dir))
    phases = rollover_phases.split_into_phases(run, timeline["withdrawn"], timeline["added"])
    problems = rollover_phases.problems(phases)
    if not exited_in_grace:
        problems.append(
            f"the old replica outlived its {SHUTDOWN_SECONDS:g} s after SIGTERM "
            "and was killed: see replica-1.log for what kept it"
        )
    if locust_exit_code not in (0, 1):  # 1 is the whole run's SLO verdict, not judged here
        problems.append(f"Locust exited {locust_exit_code}: see its output above")

    table = rollover_phases.as_markdown(phases)
    steps = {step: round(at - run.started, 2) for step, at in timeline.items()}
    (report_dir / "rollover.md").write_text(table)
    report = {
        "passed": not problems,
        "problems": problems,
        "prestop_seconds": PRESTOP_SECONDS,
        "shutdown_seconds": SHUTDOWN_SECONDS,
        "seconds_since_start": steps,
        "phases": [asdict(each) for each in phases],
    }
    (report_dir / "rollover.json").write_text(json.dumps(report, indent=2))
    print(f"\nRollover ({run.seconds:.0f} s, {USERS} users, preStop {PRESTOP_SECONDS:g} s):")
    print("  " + ", ".join(f"{step} at {at:g} s" for step, at in steps.items()))
    print(f"\n{table}")
    verdict = "PASSED" if not problems else "FAILED\n  " + "\n  ".join(problems)
    print(f"Rollover verdict: {verdict}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
