"""Canary analysis: a steady load on the canary for as long as Prometheus judges it, so
the analysis always has requests to judge. The rate is slo.toml's canary_analysis_rps;
the duration CANARY_ANALYSIS_SECONDS, which the AnalysisTemplate's Job sets from the
stack's canary analysis minutes."""

import os
import tomllib
from pathlib import Path

from locust import LoadTestShape, constant_throughput, events
from locust.env import Environment

# Enough users that each sends well under one request per latency budget, so a slow
# canary still receives the whole rate (and is judged on it).
USERS = 20


def steady_rate(slo_file: Path) -> float:
    return float(tomllib.loads(slo_file.read_text())["slo"]["canary_analysis_rps"])


@events.init.add_listener
def send_at_a_steady_rate(environment: Environment, **_) -> None:
    # A rate, not a number of users: the users' own pacing would follow the canary's
    # latency, and the analysis needs the same traffic whatever the canary does.
    rate = steady_rate(Path(environment.parsed_options.slo_file))
    for user_class in environment.user_classes:
        user_class.wait_time = constant_throughput(rate / USERS)


class CanaryAnalysis(LoadTestShape):
    duration_seconds = float(os.environ.get("CANARY_ANALYSIS_SECONDS", "300"))

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= self.duration_seconds:
            return None
        return USERS, USERS
