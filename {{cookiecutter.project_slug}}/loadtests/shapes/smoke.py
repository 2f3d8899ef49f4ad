"""Smoke: a short, light run for every pull request (25 seconds, or SMOKE_SECONDS)."""

import os

from locust import LoadTestShape

USERS = 8
SPAWN_RATE = 4


class Smoke(LoadTestShape):
    duration_seconds = float(os.environ.get("SMOKE_SECONDS", "25"))

    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= self.duration_seconds:
            return None
        return USERS, SPAWN_RATE
