"""Every policy document of every stack passes parliament, an offline IAM linter, so an
action, condition key or ARN format AWS does not know fails here rather than at `pulumi up`.
"""

import json
import re
import warnings
from functools import cache
from typing import Any

import pytest

from tests.infra.conftest import Plan, reveal

# parliament: findings that mean AWS would not know what the policy names. RESOURCE_STAR
# and MISMATCHED_TYPE_BUT_USABLE are advice, reviewed above against upstream, not errors.
FAILING_FINDINGS = {
    "MALFORMED_JSON",
    "MALFORMED",
    "NO_VERSION",
    "INVALID_VERSION",
    "OLD_VERSION",
    "DUPLICATE_SID",
    "INVALID_SID",
    "UNKNOWN_ACTION",
    "UNKNOWN_PREFIX",
    "UNKNOWN_CONDITION_FOR_ACTION",
    "UNKNOWN_OPERATOR",
    "UNKNOWN_PRINCIPAL",
    "UNKNOWN_FEDERATION_SOURCE",
    "MISMATCHED_TYPE",
    "MISMATCHED_TYPE_OPERATION_TO_NULL",
    "INVALID_ARN",
    "RESOURCE_MISMATCH",
}
# Where parliament 1.6.4 (its IAM database is from 2025) is wrong about a real grant.
PARLIAMENT_ALLOWED = {
    ("UNKNOWN_ACTION", "elasticloadbalancing:ModifyIpPools"): (
        "newer than parliament's database: LBC v3.5.0 iam_policy.json grants it (ALB IPAM pools)"
    ),
    ("UNKNOWN_CONDITION_FOR_ACTION", "elasticloadbalancing:CreateAction"): (
        "a real ELB condition key on AddTags, used by LBC v3.5.0 iam_policy.json statement 14; "
        "parliament's database lacks it"
    ),
    ("RESOURCE_MISMATCH", "ec2:RunInstances"): (
        "Karpenter v1.14.1 splits RunInstances by resource type into three statements, each "
        "with its own tag conditions; parliament judges each statement alone"
    ),
    ("RESOURCE_MISMATCH", "ec2:CreateFleet"): "split like ec2:RunInstances, for the same reason",
    ("UNKNOWN_CONDITION_FOR_ACTION", "kms:EncryptionContext:aws:logs:arn"): (
        "KMS's kms:EncryptionContext:${EncryptionContextKey} with CloudWatch Logs' context key, "
        "as AWS's page on encrypting log groups writes it; parliament does not expand the key"
    ),
    ("RESOURCE_MISMATCH", "ssm:GetParameter"): (
        "AWS public parameters have no account in their ARN (arn:aws:ssm:<region>::parameter/"
        "aws/service/...), as Karpenter's template writes it; parliament wants one"
    ),
}
# (resource type, input) of every policy document the program declares.
POLICY_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
}


@cache
def analyze(text: str) -> list[Any]:
    with warnings.catch_warnings():
        # parliament 1.6.4 imports pkg_resources, deprecated by setuptools.
        warnings.simplefilter("ignore")
        from parliament import analyze_policy_string

        return analyze_policy_string(text).findings


def subjects(finding: Any) -> list[str]:
    """What a finding is about: an action, a condition key or the finding's text."""
    if finding.issue == "RESOURCE_MISMATCH":
        return sorted({mismatch["action"] for mismatch in finding.detail})
    if finding.issue == "UNKNOWN_ACTION":
        return [str(finding.detail).removeprefix("Unknown action ")]
    if finding.issue == "UNKNOWN_CONDITION_FOR_ACTION":
        return [str(finding.detail).removeprefix("Unknown condition ").split(" for action ")[0]]
    return [str(finding.detail)]


def mock_arns(plan: Plan, names: set[str]) -> re.Pattern[str]:
    """The mocks give every resource an ARN shaped arn:aws:<service>:<region>:<account>:
    <kind>/<name> (an IAM role with a region, a secret with `/`, a log group in `cloudwatch`,
    a bucket with a region), which is not AWS's format for most types: such values, and
    paths under them (the state bucket's objects), are mock artifacts, so they are linted as
    `*`; the ARNs the program writes itself keep their real format."""
    prefix = f"arn:aws:[a-z0-9-]+:{re.escape(plan.region)}:{re.escape(plan.account_id)}"
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(f"{prefix}:[a-z-]+/(?:{alternatives})(?:[:/].*)?")


def without_mock_arns(mock: re.Pattern[str], value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_mock_arns(mock, item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_mock_arns(mock, item) for item in value]
    if isinstance(value, str) and mock.fullmatch(value):
        return "*"
    return value


def lint(plan: Plan, names: set[str]) -> list[str]:
    """parliament's failing findings on `plan`'s documents; `names` are the resources of
    every stack (a stack reads ARNs of the ones before it)."""
    problems = []
    mock = mock_arns(plan, names)
    for resource in plan.resources:
        field = POLICY_DOCUMENTS.get(resource["type"])
        text = reveal(resource["inputs"].get(field)) if field else None
        if not text:
            continue
        document = without_mock_arns(mock, json.loads(text))
        trust = field == "assumeRolePolicy"
        for finding in analyze(json.dumps(document, sort_keys=True)):
            if finding.issue not in FAILING_FINDINGS:
                continue
            # A trust policy names a Principal, never a Resource.
            if trust and finding.issue == "MALFORMED" and "Resource" in str(finding.detail):
                continue
            if finding.issue == "UNKNOWN_FEDERATION_SOURCE" and finding.detail == "*":
                continue  # the OIDC provider's mock ARN, linted as `*`
            for subject in subjects(finding):
                if (finding.issue, subject) not in PARLIAMENT_ALLOWED:
                    problems.append(
                        f"{resource['type']} {resource['name']}: {finding.issue} {subject}"
                    )
    return problems


@pytest.mark.parametrize("stack", ["bootstrap", "dev", "dev-cluster", "prod", "prod-cluster"])
def test_every_policy_document_passes_the_iam_linter(stacks: dict[str, Plan], stack: str) -> None:
    names = {resource["name"] for each in stacks.values() for resource in each.resources}
    problems = lint(stacks[stack], names)
    assert not problems, "parliament 1.6.4:\n" + "\n".join(problems)


def test_the_linter_rejects_an_unknown_action_and_condition_key() -> None:
    # The allow-list is narrow: a typo in an action or key still fails.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ec2:DescribeInstanceStatuses"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": "*",
                "Condition": {"StringEquals": {"s3:NoSuchKey": "x"}},
            },
        ],
    }
    issues = {finding.issue for finding in analyze(json.dumps(document))}
    assert {"UNKNOWN_ACTION", "UNKNOWN_CONDITION_FOR_ACTION"} <= issues
