"""The template's own workflow keeps the hygiene it asks of the projects it generates: the
same rules (one file, shared with the generated tests), zizmor and GitHub's schema."""

import importlib.util

from tests.conftest import TEMPLATE

WORKFLOW_DIRECTORY = TEMPLATE / ".github" / "workflows"
RULES = TEMPLATE / "{{cookiecutter.project_slug}}" / "tests" / "delivery" / "workflow_rules.py"


def load_rules():
    """The generated project's rules file is plain Python (copied without rendering)."""
    spec = importlib.util.spec_from_file_location("workflow_rules", RULES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_template_workflow_keeps_the_generated_projects_hygiene_rules() -> None:
    rules = load_rules()
    for path in sorted(WORKFLOW_DIRECTORY.glob("*.yml")):
        assert rules.problems(path) == [], path.name


def test_the_template_workflow_runs_the_ci_entry_point_on_pull_requests_and_pushes() -> None:
    workflow = load_rules().load(WORKFLOW_DIRECTORY / "template.yml")
    scripts = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]

    assert set(workflow["on"]) == {"pull_request", "push"}
    assert "bash .ci/run" in scripts


def test_zizmor_reports_nothing_on_the_template_workflow() -> None:
    result = load_rules().zizmor(WORKFLOW_DIRECTORY)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_workflow_validates_against_githubs_schema() -> None:
    result = load_rules().schema_check(sorted(WORKFLOW_DIRECTORY.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr
