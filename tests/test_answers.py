"""The pre-generation hook: bad answers fail with one clear line each and write nothing;
hostile answers end up as inert text."""

import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.conftest import TEMPLATE, bake

INVALID_ANSWERS = [
    ({"project_name": "   "}, "project_name: '   ' is empty"),
    ({"project_name": "two\nlines"}, "project_name: 'two\\nlines' contains a newline"),
    ({"project_name": "🚀🚀"}, "project_slug: '' is not valid"),
    ({"project_slug": "Bad Slug"}, "project_slug: 'Bad Slug' is not valid"),
    ({"project_slug": "9lives"}, "project_slug: '9lives' is not valid"),
    ({"project_slug": "double--hyphen"}, "project_slug: 'double--hyphen' is not valid"),
    ({"project_slug": "a" * 41}, "is longer than 40 characters"),
    ({"package_name": "my-package"}, "package_name: 'my-package' is not a Python identifier"),
    ({"package_name": "class"}, "package_name: 'class' is a Python keyword"),
    ({"package_name": "match"}, "package_name: 'match' is a Python keyword"),
    ({"package_name": "json"}, "package_name: 'json' shadows a standard-library module"),
    ({"package_name": "bentoml"}, "package_name: 'bentoml' shadows a dependency"),
    ({"package_name": "tests"}, "package_name: 'tests' shadows a dependency or project folder"),
    (
        {"description": "line one\nline two"},
        "description: 'line one\\nline two' contains a newline",
    ),
    ({"author_email": "not-an-email"}, "author_email: 'not-an-email' is not an email address"),
    ({"github_owner": "-leading-hyphen"}, "github_owner: '-leading-hyphen' is not a GitHub user"),
    ({"github_owner": "a" * 40}, "is not a GitHub user or organisation name"),
    ({"github_repository": "repo.git"}, "github_repository: 'repo.git' is not a GitHub repository"),
    (
        {"github_repository": "owner/repo"},
        "github_repository: 'owner/repo' is not a GitHub repository",
    ),
    ({"aws_region": "us-east-9"}, "aws_region: 'us-east-9' is not a region of the commercial AWS"),
    ({"aws_region": "us-gov-west-1"}, "aws_region: 'us-gov-west-1' is not a region"),
    ({"aws_account_id": "1234"}, "aws_account_id: '1234' is not a 12-digit AWS account id"),
    ({"aws_account_id": "12345678901a"}, "aws_account_id: '12345678901a' is not a 12-digit"),
]


def bake_expecting_failure(answers: dict[str, str], scratch: Path) -> None:
    output = scratch / "output"
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output))
    assert not output.exists() or not any(output.iterdir()), "a failed bake left files behind"


@pytest.mark.parametrize(
    ("answers", "message"), INVALID_ANSWERS, ids=lambda value: repr(value)[:40]
)
def test_invalid_answer_fails_with_its_message_and_writes_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], answers: dict[str, str], message: str
) -> None:
    bake_expecting_failure(answers, tmp_path)

    errors = capfd.readouterr().err
    assert message in errors
    assert "Nothing was generated" in errors


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    bake_expecting_failure(
        {"aws_region": "mars-1", "aws_account_id": "42", "author_email": "nobody"}, tmp_path
    )

    error_lines = [
        line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")
    ]
    assert [line.split(":")[1].strip() for line in error_lines] == [
        "author_email",
        "aws_region",
        "aws_account_id",
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        'It\'s "quoted" with a back\\slash and a trailing \\',
        "Triple ''' and \"\"\" quotes",
        "$(touch pwned) `touch pwned` ; rm -rf ~",
        "<script>alert(1)</script> & [link](javascript:x)",
        "Ünïcödé — ∑ 中文",
    ],
    ids=["quotes-backslashes", "triple-quotes", "shell", "markup", "unicode"],
)
def test_hostile_text_is_rendered_as_inert_data(cookies, hostile: str) -> None:
    project = bake(cookies, description=hostile, author_name=hostile)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == hostile
    assert pyproject["project"]["authors"][0]["name"] == hostile
    assert hostile in (project / "README.md").read_text()
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    # The hooks run inside the new project: a command run from an answer would leave this.
    assert not list(project.parent.rglob("pwned")), "an answer was run as a shell command"


def test_template_braces_in_an_answer_reach_the_files_as_text(cookies) -> None:
    # cookiecutter renders answers once as Jinja (its own behaviour); what that yields,
    # braces included, is data from then on: the hook and the files do not render it again.
    project = bake(cookies, description="{{ '{{' }} cookiecutter.project_slug }} stays")

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == "{{ cookiecutter.project_slug }} stays"


def test_unsupported_python_version_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # A choice question: cookiecutter itself rejects a value outside the list.
    output = tmp_path / "output"
    with pytest.raises(ValueError, match=r"3\.10 provided for choice variable python_version"):
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context={"python_version": "3.10"},
            output_dir=str(output),
        )
    assert not output.exists()
