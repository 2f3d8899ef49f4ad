"""Every workflow keeps the hygiene rules, and two independent checkers agree."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.workflow_rules import problems
from tests.delivery.workflows import WORKFLOW_DIRECTORY, WORKFLOW_FILES

TOOLS = Path(sys.executable).parent


def test_the_project_has_its_five_workflows() -> None:
    assert [path.name for path in WORKFLOW_FILES] == [
        "ci.yml",
        "deliver.yml",
        "deploy.yml",
        "infra.yml",
        "rollback.yml",
    ]


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_keeps_the_hygiene_rules(path: Path) -> None:
    assert problems(path) == []


def test_zizmor_reports_nothing_on_the_workflows() -> None:
    result = subprocess.run(
        [TOOLS / "zizmor", "--offline", "--no-progress", WORKFLOW_DIRECTORY],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_workflows_validate_against_githubs_workflow_schema() -> None:
    result = subprocess.run(
        [
            TOOLS / "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *WORKFLOW_FILES,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
