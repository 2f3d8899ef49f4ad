"""GitHub Actions' OIDC identity: roles trust a token only for one repository and one
kind of job (a deploy environment, or pull requests), never a wildcard subject."""

import pulumi

from . import iam

TOKEN_ISSUER = "token.actions.githubusercontent.com"  # noqa: S105 (a host name, not a secret)
AUDIENCE = "sts.amazonaws.com"


def subject(repository: str, job_kind: str) -> str:
    """`job_kind` is `environment:<name>` or `pull_request`, as GitHub writes the claim."""
    return f"repo:{repository}:{job_kind}"


def trust_policy(
    provider_arn: pulumi.Input[str], repository: pulumi.Input[str], job_kind: str
) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps(
        iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{TOKEN_ISSUER}:aud": AUDIENCE,
                        f"{TOKEN_ISSUER}:sub": pulumi.Output.from_input(repository).apply(
                            lambda name: subject(name, job_kind)
                        ),
                    }
                },
            }
        )
    )
