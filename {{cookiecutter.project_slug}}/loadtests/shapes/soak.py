"""Soak: the gate's load held for a long time (SOAK_MINUTES, default 30), to find leaks
and slow degradation that a short run cannot."""

import os

from locust import LoadTestShape

USERS = 16
SPAWN_RATE = 8


class Soak(LoadTestShape):
    duration_seconds = float(os.environ.get("SOAK_MINUTES", "30")) * 60

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= self.duration_seconds:
            return None
        return USERS, SPAWN_RATE
