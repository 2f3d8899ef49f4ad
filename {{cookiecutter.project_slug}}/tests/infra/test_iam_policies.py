"""Least privilege across every role the program declares."""

import json

from tests.infra.conftest import Plan

# Actions AWS does not let a policy scope to a resource. A statement on "*" must use
# only these, or carry a condition that narrows it (a tag, a region, a service).
UNSCOPABLE_PREFIXES = (
    "ec2:Describe",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:Describe",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "pricing:",
    "ecr:GetAuthorizationToken",
    # Karpenter lists instance profiles to find the ones it made; IAM cannot scope a list.
    "iam:ListInstanceProfiles",
    # The trace collector's exports to X-Ray's OTLP endpoint: X-Ray has no resource types.
    "xray:PutTraceSegments",
)
# AWS-managed policies a role may carry, each required by EKS for what the role is.
# The EFS CSI driver's creates and deletes only access points tagged for a cluster.
MANAGED_POLICIES = {
    "AmazonEFSCSIDriverPolicy",
    "AmazonEKSClusterPolicy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
}


def statements(plan: Plan) -> list[tuple[str, dict]]:
    return [
        (policy["name"], statement)
        for policy in plan.all("aws:iam/rolePolicy:RolePolicy")
        for statement in json.loads(policy["inputs"]["policy"])["Statement"]
    ]


def as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_no_policy_grants_a_wildcard_action(plan: Plan) -> None:
    for name, statement in statements(plan):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{name} allows {action}"


def test_statements_on_any_resource_are_unscopable_or_conditioned(plan: Plan) -> None:
    for name, statement in statements(plan):
        if "*" not in as_list(statement["Resource"]):
            continue
        unscopable = all(
            action.startswith(UNSCOPABLE_PREFIXES) for action in as_list(statement["Action"])
        )
        assert unscopable or statement.get("Condition"), (
            f"{name}: {statement['Action']} on * without a condition"
        )


def test_only_the_managed_policies_eks_requires_are_attached(plan: Plan) -> None:
    attached = {
        item["inputs"]["policyArn"].rsplit("/", 1)[-1]
        for item in plan.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == MANAGED_POLICIES


def test_pod_identity_roles_trust_only_the_pod_identity_service(plan: Plan) -> None:
    associations = plan.all("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert {item["name"] for item in associations} == {
        "karpenter-controller",
        "secrets-reader",
        "load-balancer-controller-controller",
        "argo-rollouts-controller",
        "batch-job",
        "logs-agent",
        "tracing-collector",
    }
    for association in associations:
        trust = json.loads(plan.one("aws:iam/role:Role", association["name"])["assumeRolePolicy"])
        [statement] = trust["Statement"]
        assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}


def test_every_kms_key_rotates(plan: Plan) -> None:
    keys = plan.all("aws:kms/key:Key")
    # Secrets, prediction log, images, cluster secrets, batch data, logs.
    assert len(keys) == 6
    assert all(key["inputs"]["enableKeyRotation"] for key in keys)
