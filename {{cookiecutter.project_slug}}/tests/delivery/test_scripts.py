"""The shell scripts the workflows and the Makefile run pass shellcheck, and fail with a
useful message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.workflows import PROJECT

# The workflows' scripts, and `make bootstrap`'s.
SCRIPTS = sorted([*(PROJECT / "delivery").glob("*.sh"), *(PROJECT / "infra").glob("*.sh")])
REQUIRE_VARIABLES = PROJECT / "delivery" / "require-variables.sh"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_passes_shellcheck_and_is_executable(script: Path) -> None:
    result = subprocess.run(
        [Path(sys.executable).parent / "shellcheck", "--severity=style", script],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert os.access(script, os.X_OK)


def require(names: list[str], **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REQUIRE_VARIABLES, *names],
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
    )


def test_missing_variables_are_all_named_with_the_environment_and_the_fix() -> None:
    result = require(
        ["ECR_REPOSITORY_URL", "EKS_CLUSTER_NAME", "APP_NAMESPACE"],
        DEPLOY_ENVIRONMENT="staging",
        EKS_CLUSTER_NAME="iris-classifier-dev",
    )

    assert result.returncode == 1
    assert "the GitHub environment 'staging'" in result.stdout
    assert "ECR_REPOSITORY_URL APP_NAMESPACE." in result.stdout
    assert "make github-variables" in result.stdout


def test_set_variables_pass_quietly() -> None:
    result = require(["PULUMI_BACKEND_URL"], PULUMI_BACKEND_URL="s3://state?region=us-east-1")
    assert (result.returncode, result.stdout) == (0, "")


REQUIRE_ENVIRONMENT = PROJECT / "delivery" / "require-environment.sh"


@pytest.mark.parametrize(
    ("listed", "environment", "code"),
    [
        ('["staging", "production"]', "production", 0),
        ('["staging"]', "staging", 0),
        ('["staging"]', "production", 1),
        ("", "staging", 1),
    ],
)
def test_an_environment_without_a_runner_is_refused_naming_the_fix(
    listed: str, environment: str, code: int
) -> None:
    result = subprocess.run(
        [REQUIRE_ENVIRONMENT, environment],
        env={"PATH": os.environ["PATH"], "DEPLOY_ENVIRONMENTS": listed},
        capture_output=True,
        text=True,
    )

    assert result.returncode == code
    if code:
        assert f"The {environment} environment is not provisioned" in result.stdout
        assert "make github-variables" in result.stdout
