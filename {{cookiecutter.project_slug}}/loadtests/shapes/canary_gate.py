"""Canary gate: the in-cluster check of a new build before it gets any traffic. Steady
load for one minute against the canary pod alone."""

from locust import LoadTestShape

USERS = 16
SPAWN_RATE = 8
DURATION_SECONDS = 60


class CanaryGate(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        if self.get_run_time() >= DURATION_SECONDS:
            return None
        return USERS, SPAWN_RATE
