"""Stress: add users step by step and report the highest throughput that still met the
SLOs. Each step is judged on its own numbers (the statistics restart at every step), so
the final verdict printed by the locustfile is the last step's. STRESS_STEP_SECONDS and
STRESS_MAX_USERS change the ramp."""

import json
import os
from pathlib import Path

from locust import LoadTestShape, events

import service_level

STEP_USERS = 8
STEP_SECONDS = float(os.environ.get("STRESS_STEP_SECONDS", "15"))
MAX_USERS = int(os.environ.get("STRESS_MAX_USERS", "96"))


class StressRamp(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple[int, service_level.Measurement, bool]] = []
        self.current_step = 0
        events.quitting.add_listener(self.report)

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_SECONDS)
        if step != self.current_step:
            self.close_step()
            self.current_step = step
        users = STEP_USERS * (step + 1)
        if users > MAX_USERS:
            return None
        return users, STEP_USERS

    def close_step(self) -> None:
        total = self.runner.stats.total
        measured = service_level.Measurement(
            requests=total.num_requests,
            failures=total.num_failures,
            p95_latency_ms=total.get_response_time_percentile(0.95) or 0.0,
            p99_latency_ms=total.get_response_time_percentile(0.99) or 0.0,
            requests_per_second=total.num_requests / STEP_SECONDS,
        )
        objectives = service_level.load_objectives(
            Path(self.runner.environment.parsed_options.slo_file)
        )
        met = service_level.passed(service_level.evaluate(objectives, measured))
        self.steps.append((STEP_USERS * (self.current_step + 1), measured, met))
        self.runner.stats.reset_all()

    def report(self, environment, **_) -> None:
        lines = ["users  req/s   p95 ms  p99 ms  errors  SLOs"]
        for users, measured, met in self.steps:
            outcome = "met" if met else "missed"
            lines.append(
                f"{users:>5}  {measured.requests_per_second:>6.1f}  {measured.p95_latency_ms:>6g}  "
                f"{measured.p99_latency_ms:>6g}  {measured.error_ratio:>6.2%}  {outcome}"
            )
        best = max((m.requests_per_second for _, m, met in self.steps if met), default=0.0)
        lines.append(f"Highest throughput within the SLOs: {best:.1f} req/s")
        print("\n".join(lines), flush=True)
        report_dir = Path(environment.parsed_options.report_dir)
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "stress.json").write_text(
            json.dumps(
                {
                    "best_requests_per_second": best,
                    "steps": [
                        {
                            "users": u,
                            "met": met,
                            "requests_per_second": m.requests_per_second,
                            "p95_latency_ms": m.p95_latency_ms,
                        }
                        for u, m, met in self.steps
                    ],
                },
                indent=2,
            )
        )
