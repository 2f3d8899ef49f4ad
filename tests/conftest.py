"""Helpers for baking the template in tests."""

import json
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parent.parent
QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
PYTHON_VERSIONS = QUESTIONS["python_version"]


def bake(cookies, **answers: str) -> Path:
    """Bake with the given answers (defaults for the rest) and return the project folder."""
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture
def default_project(cookies) -> Path:
    return bake(cookies)
