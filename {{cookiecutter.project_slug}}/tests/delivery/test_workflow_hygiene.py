"""Every workflow keeps the hygiene rules, and two independent checkers agree."""

from pathlib import Path

import pytest

from tests.delivery.workflow_rules import problems, schema_check, zizmor
from tests.delivery.workflows import WORKFLOW_DIRECTORY, WORKFLOW_FILES


def test_the_project_has_its_six_workflows() -> None:
    assert [path.name for path in WORKFLOW_FILES] == [
        "build.yml",
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
    result = zizmor(WORKFLOW_DIRECTORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_workflows_validate_against_githubs_workflow_schema() -> None:
    result = schema_check(WORKFLOW_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
