"""Where the project's workflows are, loaded once for the tests that read them."""

from functools import cache
from pathlib import Path
from typing import Any

from tests.delivery.workflow_rules import load

PROJECT = Path(__file__).resolve().parents[2]
WORKFLOW_DIRECTORY = PROJECT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOW_DIRECTORY.glob("*.yml"))


@cache
def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOW_DIRECTORY / f"{name}.yml")


def delivery_settings() -> dict[str, str]:
    """The rendered .github/delivery.env the workflows load into their environment."""
    lines = (PROJECT / ".github" / "delivery.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def runs(job: dict[str, Any]) -> list[str]:
    """The shell scripts of a job's steps, in order."""
    return [step["run"] for step in job.get("steps", []) if "run" in step]
