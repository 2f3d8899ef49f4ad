"""Smoke: a short, light run for every pull request (about 25 seconds)."""

from locust import LoadTestShape

USERS = 8
SPAWN_RATE = 4
DURATION_SECONDS = 25


class Smoke(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= DURATION_SECONDS:
            return None
        return USERS, SPAWN_RATE
