"""The two controllers that act on AWS for the cluster, the AWS Load Balancer Controller and
Karpenter, get what their upstream policies grant: every upstream action is allowed by one
of our statements at least as broadly (no extra condition keys, resources that cover
upstream's), unless NARROWINGS says why the narrower grant is safe. A missing permission
only shows once the cluster runs (an Ingress that never gets its ALB, a node class that
never deletes), so it is checked here against upstream's own documents
(tests/infra/upstream_policies.py).
"""

import fnmatch
import json
from typing import Any

from tests.infra.conftest import Plan, reveal
from tests.infra.upstream_policies import (
    LBC_UPSTREAM,
    NARROWINGS,
    Upstream,
    karpenter_upstream,
)

Statement = dict[str, Any]


def policy(plan: Plan, name: str) -> dict[str, Any]:
    return json.loads(reveal(plan.one("aws:iam/rolePolicy:RolePolicy", name)["policy"]))


def statements(document: dict[str, Any]) -> list[Statement]:
    found = document["Statement"]
    return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def condition_keys(ours: Statement) -> set[str]:
    return {key for block in ours.get("Condition", {}).values() for key in block}


def unscoped(plan: Plan, arn: str) -> str:
    """Our ARN with the stack's region and account written `*`, as upstream writes them."""
    parts = arn.split(":")
    if len(parts) >= 6:
        parts[3] = "*" if parts[3] == plan.region else parts[3]
        parts[4] = "*" if parts[4] == plan.account_id else parts[4]
    return ":".join(parts)


def covers(plan: Plan, ours: Statement, resources: tuple[str, ...]) -> bool:
    """Every upstream resource pattern is matched by one of ours (upstream's `*` read as
    literal characters, ours as wildcards)."""
    patterns = [unscoped(plan, arn) for arn in as_list(ours["Resource"])]
    return all(
        any(fnmatch.fnmatchcase(unscoped(plan, arn), pattern) for pattern in patterns)
        for arn in resources
    )


def shortfalls(plan: Plan, document: dict[str, Any], upstream: list[Upstream]) -> list[str]:
    ours = [grant for grant in statements(document) if grant["Effect"] == "Allow"]
    missing = []
    for actions, resources, keys in upstream:
        for action in actions:
            if action in NARROWINGS:
                continue
            if not any(
                action in as_list(grant["Action"])
                and condition_keys(grant) <= keys
                and covers(plan, grant, resources)
                for grant in ours
            ):
                missing.append(f"{action} on {list(resources)} with keys {sorted(keys)}")
    return missing


def karpenter_arns(plan: Plan) -> dict[str, str]:
    return {
        "node_role": plan.arn("iam", "role", "karpenter-node"),
        "queue": plan.arn("sqs", "queue", "karpenter-interruptions"),
        "cluster": plan.arn("eks", "cluster", "cluster-cluster"),
    }


def cluster_name(plan: Plan) -> str:
    return plan.one("aws:eks/cluster:Cluster")["name"]


def test_load_balancer_controller_gets_every_upstream_grant_or_a_reasoned_narrowing(
    plan: Plan,
) -> None:
    missing = shortfalls(plan, policy(plan, "load-balancer-controller-controller"), LBC_UPSTREAM)
    assert not missing, "narrower than upstream v3.5.0 iam_policy.json:\n" + "\n".join(missing)


def test_karpenter_gets_every_upstream_grant_or_a_reasoned_narrowing(plan: Plan) -> None:
    upstream = karpenter_upstream(cluster_name(plan), karpenter_arns(plan))
    missing = shortfalls(plan, policy(plan, "karpenter-controller"), upstream)
    assert not missing, "narrower than upstream v1.14.1 CloudFormation:\n" + "\n".join(missing)


def test_every_narrowing_names_an_upstream_action() -> None:
    # A narrowing for an action upstream no longer grants is stale, and hides nothing.
    upstream = {action for actions, _, _ in LBC_UPSTREAM for action in actions}
    assert set(NARROWINGS) <= upstream, sorted(set(NARROWINGS) - upstream)


# A small evaluator for the regression tests: does any Allow statement grant `action` on
# `resource` for a request whose condition context is `context`?
def condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    wanted = as_list(expected)
    present = key in context
    if operator == "Null":
        return (not present) == (str(wanted[0]).lower() == "true")
    if operator.endswith("IfExists") and not present:
        return True
    if not present:
        return operator.startswith("ForAllValues:")
    given = as_list(context[key])
    if operator.startswith("ForAllValues:"):
        return all(value in wanted for value in given)
    if operator.startswith(("StringLike", "ArnLike")):
        return any(fnmatch.fnmatchcase(v, w) for v in given for w in wanted)
    return any(value in wanted for value in given)


def allows(document: dict[str, Any], action: str, resource: str, context: dict[str, Any]) -> bool:
    return any(
        grant["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action, pattern) for pattern in as_list(grant["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in as_list(grant["Resource"]))
        and all(
            condition_holds(operator, key, expected, context)
            for operator, block in grant.get("Condition", {}).items()
            for key, expected in block.items()
        )
        for grant in statements(document)
    )


def test_load_balancer_controller_opens_the_untagged_cluster_security_group_to_its_alb(
    plan: Plan,
) -> None:
    # EKS's cluster security group carries kubernetes.io/cluster/<name>, never the
    # controller's own tag; without this the ALB cannot reach the pods (upstream statement 4).
    document = policy(plan, "load-balancer-controller-controller")
    cluster_group = plan.arn("ec2", "security-group", "sg-0123456789abcdef0")
    for action in ("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"):
        assert allows(document, action, cluster_group, {}), action


def test_load_balancer_controller_tags_listeners_and_rules_as_it_creates_them(plan: Plan) -> None:
    # A new listener has no tag to condition on yet (upstream statement 12).
    document = policy(plan, "load-balancer-controller-controller")
    for kind in (
        "listener/app/k8s-app/50dc6c495c0c9188/f2f7dc8efc522ab2",
        "listener-rule/app/k8s-app/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
    ):
        arn = plan.arn("elasticloadbalancing", *kind.split("/", 1))
        assert allows(document, "elasticloadbalancing:AddTags", arn, {}), arn


def test_karpenter_lists_instance_profiles_and_prices_from_any_region(plan: Plan) -> None:
    # IAM is global and pricing is served from us-east-1, eu-central-1 or ap-south-1: a
    # region condition would block the EC2NodeClass finalizer and on-demand prices.
    document = policy(plan, "karpenter-controller")
    for action in ("iam:ListInstanceProfiles", "pricing:GetProducts"):
        assert allows(document, action, "*", {}), action
        assert allows(document, action, "*", {"aws:RequestedRegion": "eu-central-1"}), action


def test_karpenter_reads_instance_status_in_its_region(plan: Plan) -> None:
    # Upstream v1.14.1 grants ec2:DescribeInstanceStatus in AllowRegionalReadActions (with
    # aws:RequestedRegion, since v1.13.0); without it instance health checks are off.
    document = policy(plan, "karpenter-controller")
    in_region = {"aws:RequestedRegion": plan.region}
    assert allows(document, "ec2:DescribeInstanceStatus", "*", in_region)
