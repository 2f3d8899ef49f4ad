"""A stack's outputs become its GitHub environment's variables."""

import pytest

from github_variables import commands

OUTPUTS = {
    "githubEnvironment": "production",
    "deployRoleArn": "arn:aws:iam::123456789012:role/github-deploy-role",
    "repositoryUrl": "123456789012.dkr.ecr.us-east-1.amazonaws.com/iris-classifier-prod",
    "clusterName": "iris-classifier-prod",
    "appNamespace": "iris-classifier",
    "kubeconfig": "not a variable",
}


def test_each_output_delivery_needs_is_set_in_the_stacks_environment() -> None:
    assert commands(OUTPUTS) == [
        ["gh", "variable", "set", variable, "--env", "production", "--body", value]
        for variable, value in [
            ("AWS_DEPLOY_ROLE_ARN", OUTPUTS["deployRoleArn"]),
            ("ECR_REPOSITORY_URL", OUTPUTS["repositoryUrl"]),
            ("EKS_CLUSTER_NAME", OUTPUTS["clusterName"]),
            ("APP_NAMESPACE", OUTPUTS["appNamespace"]),
        ]
    ]


def test_the_service_url_follows_once_the_service_exists() -> None:
    with_service = {**OUTPUTS, "serviceUrl": "https://api.example.com"}
    assert commands(with_service)[-1][3:] == [
        "SERVICE_URL",
        "--env",
        "production",
        "--body",
        "https://api.example.com",
    ]


def test_a_stack_that_was_never_applied_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match=r"no output clusterName, githubEnvironment"):
        commands(
            {
                key: value
                for key, value in OUTPUTS.items()
                if key not in {"clusterName", "githubEnvironment"}
            }
        )
