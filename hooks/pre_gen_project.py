"""Reject invalid answers before cookiecutter writes a single file.

Every answer arrives as JSON data (never as Python source), so quotes, backslashes,
braces or newlines in an answer cannot change what this hook does. Each problem is
reported on one line that names the answer, the bad value, and what is allowed.
On any problem the hook exits 1 and cookiecutter removes the half-made directory.
"""

import json
import keyword
import re
import sys

# tojson output is wrapped in double quotes, so these must stay ''' strings.
# fmt: off
ANSWERS = {
    "project_name": json.loads(r'''{{ cookiecutter.project_name | tojson }}'''),
    "project_slug": json.loads(r'''{{ cookiecutter.project_slug | tojson }}'''),
    "package_name": json.loads(r'''{{ cookiecutter.package_name | tojson }}'''),
    "description": json.loads(r'''{{ cookiecutter.description | tojson }}'''),
    "author_name": json.loads(r'''{{ cookiecutter.author_name | tojson }}'''),
    "author_email": json.loads(r'''{{ cookiecutter.author_email | tojson }}'''),
    "github_owner": json.loads(r'''{{ cookiecutter.github_owner | tojson }}'''),
    "github_repository": json.loads(r'''{{ cookiecutter.github_repository | tojson }}'''),
    "aws_region": json.loads(r'''{{ cookiecutter.aws_region | tojson }}'''),
    "aws_account_id": json.loads(r'''{{ cookiecutter.aws_account_id | tojson }}'''),
}
# fmt: on

# Regions of the commercial `aws` partition. GovCloud, China and the European
# Sovereign Cloud use other ARN partitions and endpoints the infra code does not handle.
AWS_REGIONS = frozenset(
    [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
        "mx-central-1",
        "sa-east-1",
        "eu-central-1",
        "eu-central-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-south-1",
        "eu-south-2",
        "eu-north-1",
        "il-central-1",
        "me-south-1",
        "me-central-1",
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-south-1",
        "ap-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
    ]
)

# Import names the generated project depends on; a package with one of these names
# would shadow the real library.
DEPENDENCY_IMPORT_NAMES = frozenset(
    [
        "bentoml",
        "numpy",
        "onnx",
        "onnxruntime",
        "pydantic",
        "sklearn",
        "skl2onnx",
        "pytest",
        "httpx",
        "service",
        "tests",
        "infra",
        "loadtests",
        "locust",
        "pulumi",
        "pulumi_aws",
        "pulumi_kubernetes",
    ]
)

# The slug becomes ECR, EKS, IAM and Kubernetes names that get suffixes such as
# "-github-deploy"; AWS and Kubernetes cap those names at 63-64 characters.
MAX_SLUG_LENGTH = 40

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE_PATTERN = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
GITHUB_OWNER_PATTERN = re.compile(r"[A-Za-z0-9](-?[A-Za-z0-9]){0,38}")
GITHUB_REPOSITORY_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,100}")
ACCOUNT_ID_PATTERN = re.compile(r"\d{12}")


def problem(answer: str, message: str) -> str:
    """Format one problem the same way for every answer, quoting the value as data."""
    return f"{answer}: {ANSWERS[answer]!r} {message}"


def check_single_line_text(answer: str, max_length: int) -> list[str]:
    """Free text is rendered into TOML, Markdown and YAML: one printable line only."""
    value = ANSWERS[answer]
    if not value.strip():
        return [problem(answer, "is empty; give a value")]
    if any(not character.isprintable() for character in value):
        return [problem(answer, "contains a newline or control character; use one line of text")]
    if len(value) > max_length:
        return [problem(answer, f"is longer than {max_length} characters; shorten it")]
    return []


def check_project_slug() -> list[str]:
    """The slug names the repository, the distribution, cloud resources and Kubernetes objects."""
    slug = ANSWERS["project_slug"]
    if not SLUG_PATTERN.fullmatch(slug):
        return [
            problem(
                "project_slug",
                "is not valid; use lowercase letters, digits and single hyphens, "
                "starting with a letter (e.g. 'iris-classifier')",
            )
        ]
    if len(slug) > MAX_SLUG_LENGTH:
        return [problem("project_slug", f"is longer than {MAX_SLUG_LENGTH} characters; shorten it")]
    return []


def check_package_name() -> list[str]:
    """The package must be importable and must not shadow the stdlib or a dependency."""
    name = ANSWERS["package_name"]
    if not PACKAGE_PATTERN.fullmatch(name):
        return [
            problem(
                "package_name",
                "is not a Python identifier; use lowercase letters, digits and underscores, "
                "not starting with a digit (e.g. 'iris_classifier')",
            )
        ]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [problem("package_name", "is a Python keyword; choose another name")]
    if name in sys.stdlib_module_names:
        return [problem("package_name", "shadows a standard-library module; choose another name")]
    if name in DEPENDENCY_IMPORT_NAMES:
        return [
            problem("package_name", "shadows a dependency or project folder; choose another name")
        ]
    return []


def check_author_email() -> list[str]:
    """The email goes into pyproject.toml metadata."""
    if EMAIL_PATTERN.fullmatch(ANSWERS["author_email"]):
        return []
    return [problem("author_email", "is not an email address (e.g. 'ml-team@example.com')")]


def check_github_names() -> list[str]:
    """The deploy role trusts exactly this owner/repository, so both must be real GitHub names."""
    problems = []
    if not GITHUB_OWNER_PATTERN.fullmatch(ANSWERS["github_owner"]):
        problems.append(
            problem(
                "github_owner",
                "is not a GitHub user or organisation name; use up to 39 letters, digits "
                "and single hyphens, not starting or ending with a hyphen",
            )
        )
    repository = ANSWERS["github_repository"]
    if (
        not GITHUB_REPOSITORY_PATTERN.fullmatch(repository)
        or repository in {".", ".."}
        or repository.lower().endswith(".git")
    ):
        problems.append(
            problem(
                "github_repository",
                "is not a GitHub repository name; use up to 100 letters, digits, '.', '-' "
                "and '_', without a '.git' suffix",
            )
        )
    return problems


def check_aws_answers() -> list[str]:
    """Region and account end up in ARNs and stack config, where a typo fails only at deploy."""
    problems = []
    if ANSWERS["aws_region"] not in AWS_REGIONS:
        problems.append(
            problem(
                "aws_region",
                "is not a region of the commercial AWS partition; use a name such as "
                "'us-east-1' or 'eu-west-1'",
            )
        )
    account_id = ANSWERS["aws_account_id"]
    if account_id and not ACCOUNT_ID_PATTERN.fullmatch(account_id):
        problems.append(
            problem(
                "aws_account_id",
                "is not a 12-digit AWS account id; give 12 digits or leave it empty",
            )
        )
    return problems


def find_problems() -> list[str]:
    """Run every check so the user sees all problems at once, not one per attempt."""
    return [
        *check_single_line_text("project_name", max_length=80),
        *check_project_slug(),
        *check_package_name(),
        *check_single_line_text("description", max_length=200),
        *check_single_line_text("author_name", max_length=100),
        *check_author_email(),
        *check_github_names(),
        *check_aws_answers(),
    ]


def main() -> int:
    problems = find_problems()
    for line in problems:
        print(f"ERROR: {line}", file=sys.stderr)
    if problems:
        print(
            "Nothing was generated. Run cookiecutter again with corrected answers.", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
