"""IAM policy documents built as data (json), never with invokes, so they can be
checked offline."""

import json
from typing import Any

import pulumi

Statement = dict[str, Any]


def document(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: list[str], resources: list[Any], **conditions: Any) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if conditions:
        statement["Condition"] = conditions
    return statement


def trust_service(service: str) -> str:
    """A role an AWS service assumes, e.g. eks.amazonaws.com for the control plane."""
    return json.dumps(
        document({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})
    )


def trust_pod_identity() -> str:
    """A role EKS Pod Identity hands to one service account (bound by its association)."""
    return json.dumps(
        document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        )
    )


def policy_json(*statements: Statement) -> pulumi.Output[str]:
    """Statements may hold Outputs (ARNs of resources declared in the same program)."""
    return pulumi.Output.json_dumps(document(*statements))
