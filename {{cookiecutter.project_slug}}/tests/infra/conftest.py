"""The infra tests read what the Pulumi program declares for each stack: `infra/plan.py`
runs it under Pulumi's mocks (no AWS, no CLI) and records every resource's inputs.

Stacks are planned in the order they read each other's outputs. `plan` is one
environment, both its layers (the AWS layer and the cluster layer) together; `stacks`
holds each stack's plan alone."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bentoml
import pytest

from harness.local_service import LocalService, running
from tests.server_settings import KEYS_SETTING, SERVICE

PROJECT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "prod")
# In the order each reads the outputs of the ones before it.
STACKS = ("bootstrap", "dev", "dev-cluster", "prod", "prod-cluster")
# Pulumi marks secret values in mock inputs with this signature key.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"  # noqa: S105 (a marker, not a secret)


def reveal(value: Any) -> Any:
    """The plain value of a (possibly secret-wrapped) input."""
    if isinstance(value, dict) and SECRET_SIGNATURE in value:
        return value["value"]
    return value


@dataclass
class Plan:
    stack: str
    region: str
    account_id: str
    resources: list[dict[str, Any]]
    output: Path
    exports: dict[str, Any]

    def arn(self, service: str, kind: str, name: str) -> str:
        """The ARN the mocks give a resource declared as `name`."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{kind}/{name}"

    def all(self, resource_type: str) -> list[dict[str, Any]]:
        return [resource for resource in self.resources if resource["type"] == resource_type]

    def one(self, resource_type: str, name: str | None = None) -> dict[str, Any]:
        found = [
            resource for resource in self.all(resource_type) if name in (None, resource["name"])
        ]
        assert len(found) == 1, (
            f"expected one {resource_type} {name or ''} in {self.stack}, found {len(found)}"
        )
        return found[0]["inputs"]

    def kubernetes(self, kind: str) -> list[dict[str, Any]]:
        return [
            resource["inputs"]
            for resource in self.resources
            if resource["type"].startswith("kubernetes:") and resource["inputs"].get("kind") == kind
        ]


def debian_binary(name: str, package: str = "prometheus") -> str:
    """A program from a Debian package: failing under CI, whose .ci/run installs it, and
    skipping elsewhere."""
    binary = shutil.which(name)
    if binary is None:
        message = f"{name} is not installed (Debian: apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    return binary


def run_plan(
    stack: str, output: Path, *overrides: str, released_image: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(PROJECT / "infra" / "plan.py"), stack, "--output", str(output)]
    for override in overrides:
        command += ["--config", override]
    if released_image:
        command += ["--released-image", released_image]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300)


def planned(stack: str, output: Path, *overrides: str, released_image: str | None = None) -> Plan:
    """Plan `stack` into `output`, whose siblings hold the stacks it reads."""
    result = run_plan(stack, output, *overrides, released_image=released_image)
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = json.loads((output / "resources.json").read_text())
    exports = json.loads((output / "exports.json").read_text())
    return Plan(
        stack, recorded["region"], recorded["accountId"], recorded["resources"], output, exports
    )


def stacks_read_by(stack: str) -> tuple[str, ...]:
    """The stacks whose outputs `stack` reads, in the order they must be planned."""
    if stack == "bootstrap":
        return ()
    environment = stack.removesuffix("-cluster")
    return ("bootstrap",) if stack == environment else ("bootstrap", environment)


def planned_alone(stack: str, root: Path) -> Plan:
    """Plan `stack` into `root`, after the stacks it reads."""
    for read in stacks_read_by(stack):
        planned(read, root / read)
    return planned(stack, root / stack)


@pytest.fixture(scope="session")
def plan_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plan")


@pytest.fixture(scope="session")
def stacks(plan_root: Path) -> dict[str, Plan]:
    return {stack: planned(stack, plan_root / stack) for stack in STACKS}


@pytest.fixture(scope="session")
def plans(stacks: dict[str, Plan]) -> dict[str, Plan]:
    """Per environment, its two layers as one plan (the account's ARNs and region)."""
    return {
        environment: Plan(
            environment,
            stacks[environment].region,
            stacks[environment].account_id,
            stacks[environment].resources + stacks[f"{environment}-cluster"].resources,
            stacks[f"{environment}-cluster"].output,
            {**stacks[environment].exports, **stacks[f"{environment}-cluster"].exports},
        )
        for environment in ENVIRONMENTS
    }


@pytest.fixture(scope="session")
def plan_variant(stacks: dict[str, Plan], plan_root: Path):
    """Plan one stack again with config overrides, beside the stacks it reads."""

    def plan_with(
        stack: str, name: str, *overrides: str, released_image: str | None = None
    ) -> Plan:
        return planned(
            stack, plan_root / f"variant-{name}", *overrides, released_image=released_image
        )

    return plan_with


@pytest.fixture(params=ENVIRONMENTS)
def plan(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Iterator[Plan]:
    """Each test using this runs once per environment."""
    yield plans[request.param]


@pytest.fixture(scope="module")
def own_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    """A server for one test module alone: its metrics hold that module's requests only."""
    folder = tmp_path_factory.mktemp("own-server")
    # Predictions logged, as in the cluster: POST /feedback needs them.
    settings = {**KEYS_SETTING, "SERVICE_PREDICTION_LOG_DIR": str(folder / "predictions")}
    with running(SERVICE, folder / "server.log", settings=settings) as server:
        yield server
