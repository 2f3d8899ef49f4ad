"""The stacks' outputs become the variables of their GitHub environment and repository."""

import json
import shlex
import subprocess
from pathlib import Path

import pytest

import github_variables
from github_variables import (
    create_environment_commands,
    environment_variables,
    main,
    provisioned_environments,
    repository_variables,
    set_commands,
)

BOOTSTRAP = {
    "backendUrl": "s3://iris-classifier-state-123456789012?region=us-east-1",
    "previewRoleArn": "arn:aws:iam::123456789012:role/iris-classifier-preview",
    "clusterRoleArns": {
        "dev": "arn:aws:iam::123456789012:role/iris-classifier-dev-cluster",
        "prod": "arn:aws:iam::123456789012:role/iris-classifier-prod-cluster",
    },
    "secretsProviders": {"dev": "awskms://alias/iris-classifier-dev"},
}
AWS = {
    "project": "iris-classifier",
    "githubEnvironment": "production",
    "runnerProject": "iris-classifier-production",
    "deployRoleArn": "arn:aws:iam::123456789012:role/iris-classifier-prod-deploy",
    "repositoryUrl": "123456789012.dkr.ecr.us-east-1.amazonaws.com/iris-classifier-prod",
    "clusterName": "iris-classifier-prod",
    "appNamespace": "iris-classifier",
    "releaseRecord": "/iris-classifier/prod/released-image",
    "kubeconfig": "not a variable",
}
CLUSTER = {"appNamespace": "iris-classifier", "serviceUrl": "https://api.example.com"}


def test_the_environment_gets_delivery_s_variables_and_its_cluster_role() -> None:
    assert environment_variables(BOOTSTRAP, AWS, {}, "prod") == {
        "AWS_DEPLOY_ROLE_ARN": AWS["deployRoleArn"],
        "ECR_REPOSITORY_URL": AWS["repositoryUrl"],
        "EKS_CLUSTER_NAME": AWS["clusterName"],
        "APP_NAMESPACE": AWS["appNamespace"],
        "RELEASE_RECORD": AWS["releaseRecord"],
        "PULUMI_CLUSTER_ROLE_ARN": BOOTSTRAP["clusterRoleArns"]["prod"],
    }


def test_the_service_url_follows_once_the_cluster_layer_serves_it() -> None:
    variables = environment_variables(BOOTSTRAP, AWS, CLUSTER, "prod")
    assert variables["SERVICE_URL"] == "https://api.example.com"
    assert "SERVICE_URL" not in environment_variables(BOOTSTRAP, AWS, {"appNamespace": "x"}, "prod")


def test_the_repository_gets_the_backend_the_preview_role_and_the_runner_prefix() -> None:
    assert repository_variables(BOOTSTRAP, AWS) == {
        "PULUMI_BACKEND_URL": BOOTSTRAP["backendUrl"],
        "PULUMI_PREVIEW_ROLE_ARN": BOOTSTRAP["previewRoleArn"],
        "RUNNER_PROJECT_PREFIX": "iris-classifier",
    }


def test_environment_variables_are_set_in_the_environment_and_the_others_in_the_repository() -> (
    None
):
    variables = {"EKS_CLUSTER_NAME": "iris-classifier-prod"}
    assert set_commands(variables, "production") == [
        [
            "gh",
            "variable",
            "set",
            "EKS_CLUSTER_NAME",
            "--env",
            "production",
            "--body",
            "iris-classifier-prod",
        ]
    ]
    assert set_commands(variables) == [
        ["gh", "variable", "set", "EKS_CLUSTER_NAME", "--body", "iris-classifier-prod"]
    ]


def test_an_aws_layer_that_was_never_applied_is_refused_by_name() -> None:
    unapplied = {
        key: value for key, value in AWS.items() if key not in {"clusterName", "githubEnvironment"}
    }
    with pytest.raises(
        SystemExit, match=r"AWS-layer stack has no output clusterName, githubEnvironment"
    ):
        environment_variables(BOOTSTRAP, unapplied, {}, "prod")


def test_a_bootstrap_without_the_stack_s_cluster_role_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(SystemExit, match=r"no cluster role for stack 'staging'; it has dev, prod"):
        environment_variables(BOOTSTRAP, AWS, {}, "staging")
    with pytest.raises(SystemExit, match=r"bootstrap stack has no output clusterRoleArns"):
        environment_variables({}, AWS, {}, "prod")


def test_a_runner_project_the_workflows_could_not_name_is_refused() -> None:
    renamed = {**AWS, "runnerProject": "iris-runners"}
    with pytest.raises(SystemExit, match=r"'iris-runners', not 'iris-classifier-production'"):
        repository_variables(BOOTSTRAP, renamed)


def written(tmp_path: Path, name: str, outputs: dict) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(outputs))
    return str(path)


def arguments(tmp_path: Path, *extra: str) -> list[str]:
    return [
        "--stack",
        "prod",
        "--bootstrap",
        written(tmp_path, "bootstrap", BOOTSTRAP),
        "--aws",
        written(tmp_path, "prod", AWS),
        *extra,
    ]


def test_a_dry_run_prints_every_command_and_runs_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "run", pytest.fail)
    cluster = written(tmp_path, "prod-cluster", CLUSTER)

    assert main(arguments(tmp_path, "--cluster", cluster, "--dry-run")) == 0

    printed = capsys.readouterr().out.splitlines()
    environment = "'repos/{owner}/{repo}/environments/production"
    assert printed[0].startswith(f"gh api --method PUT {environment}' --input - --silent <<< ")
    settings = json.loads(shlex.split(printed[0].split(" <<< ", 1)[1])[0])
    assert settings == {
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
        "reviewers": [{"type": "User", "id": "<your GitHub user id>"}],
    }
    assert printed[1].startswith(f"gh api --method POST {environment}/deployment-branch-policies'")
    assert "name=main" in printed[1]
    assert [line.split()[3] for line in printed[2:]] == [
        "AWS_DEPLOY_ROLE_ARN",
        "ECR_REPOSITORY_URL",
        "EKS_CLUSTER_NAME",
        "APP_NAMESPACE",
        "RELEASE_RECORD",
        "PULUMI_CLUSTER_ROLE_ARN",
        "SERVICE_URL",
        "PULUMI_BACKEND_URL",
        "PULUMI_PREVIEW_ROLE_ARN",
        "RUNNER_PROJECT_PREFIX",
        "DEPLOY_ENVIRONMENTS",
    ]


class FakeGitHub:
    """Answers gh as GitHub would for a repository on a given plan; records each call."""

    def __init__(self, exists: bool = False, reviewers: bool = True, environments: bool = True):
        self.exists, self.reviewers, self.environments = exists, reviewers, environments
        self.ran: list[tuple[list[str], dict | None]] = []

    def __call__(self, command: list[str], **options: object) -> subprocess.CompletedProcess:
        body = json.loads(options["input"]) if options.get("input") else None
        self.ran.append((command, body))
        if command[:3] == ["gh", "api", "user"]:
            return subprocess.CompletedProcess(command, 0, stdout="4242\n")
        if command[:3] == ["gh", "variable", "get"]:
            return subprocess.CompletedProcess(command, 0, stdout='["staging"]\n')
        if "--method" in command:
            refused = not self.environments or (body and "reviewers" in body and not self.reviewers)
            if refused:
                raise subprocess.CalledProcessError(1, command)
            return subprocess.CompletedProcess(command, 0)
        lookup = command[:2] == ["gh", "api"]
        return subprocess.CompletedProcess(command, 0 if self.exists or not lookup else 1)

    def environment_settings(self) -> list[dict | None]:
        return [body for command, body in self.ran if "PUT" in command]

    def variables(self) -> dict[str, str]:
        return {
            command[3]: command[-1]
            for command, _ in self.ran
            if command[:3] == ["gh", "variable", "set"]
        }


@pytest.mark.parametrize("exists", [True, False], ids=["existing", "missing"])
def test_the_environment_is_created_only_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exists: bool
) -> None:
    github = FakeGitHub(exists=exists)
    monkeypatch.setattr(github_variables.subprocess, "run", github)

    assert main(arguments(tmp_path)) == 0

    commands = [command for command, _ in github.ran]
    created = [
        command for command in create_environment_commands("production") if command in commands
    ]
    assert len(created) == (0 if exists else 2)
    assert len(github.variables()) == 10
    assert github.variables()["DEPLOY_ENVIRONMENTS"] == '["staging", "production"]'


def test_production_waits_for_whoever_set_it_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    github = FakeGitHub()
    monkeypatch.setattr(github_variables.subprocess, "run", github)

    assert main(arguments(tmp_path)) == 0
    [settings] = github.environment_settings()
    assert settings["reviewers"] == [{"type": "User", "id": 4242}]
    assert settings["deployment_branch_policy"]["custom_branch_policies"] is True


def test_on_a_plan_without_required_reviewers_production_is_created_without_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A private repository on GitHub Pro or Team: environments, but no required reviewers."""
    github = FakeGitHub(reviewers=False)
    monkeypatch.setattr(github_variables.subprocess, "run", github)

    assert main(arguments(tmp_path)) == 0
    with_reviewer, without = github.environment_settings()
    assert "reviewers" in with_reviewer and "reviewers" not in without
    assert "its deliveries will not wait for approval" in capsys.readouterr().out


def test_staging_gets_no_reviewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    github = FakeGitHub()
    monkeypatch.setattr(github_variables.subprocess, "run", github)
    staging = {**AWS, "githubEnvironment": "staging", "runnerProject": "iris-classifier-staging"}
    command = ["--stack", "dev", "--bootstrap", written(tmp_path, "bootstrap", BOOTSTRAP)]
    command += ["--aws", written(tmp_path, "dev", staging)]

    assert main(command) == 0
    [settings] = github.environment_settings()
    assert "reviewers" not in settings
    assert not any(command[:3] == ["gh", "api", "user"] for command, _ in github.ran)


@pytest.mark.parametrize(
    ("current", "added", "listed"),
    [
        ("", "staging", ["staging"]),
        ('["staging"]', "production", ["staging", "production"]),
        ('["production"]', "staging", ["staging", "production"]),
        ('["staging", "production"]', "staging", ["staging", "production"]),
    ],
)
def test_provisioned_environments_are_listed_once_in_delivery_order(
    current: str, added: str, listed: list[str]
) -> None:
    """deploy.yml and infra.yml read this list: a job for an environment missing from it
    would wait a day for a runner that does not exist."""
    assert json.loads(provisioned_environments(current, added)) == listed


def test_a_repository_without_environments_is_told_which_plans_have_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A private repository on GitHub Free has no environments: creating one fails."""
    monkeypatch.setattr(github_variables.subprocess, "run", FakeGitHub(environments=False))

    with pytest.raises(SystemExit, match="GitHub Pro, Team or Enterprise Cloud"):
        main(arguments(tmp_path))
