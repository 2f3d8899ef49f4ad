"""What the two controllers that act on AWS for the cluster are granted upstream, at the
versions the charts install: the AWS Load Balancer Controller's docs/install/iam_policy.json
at v3.5.0 and Karpenter's getting-started CloudFormation template at v1.14.1, written as
actions, resources and condition keys; and where ours is narrower, why that is safe."""

Upstream = tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]

# Region and account in upstream ARNs (CloudFormation's ${AWS::Region}, the JSON's `*`) are
# written `*`; ours, scoped to the stack's region and account, are compared the same way.
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
SECURITY_GROUPS = ("arn:aws:ec2:*:*:security-group/*",)
BALANCERS = (
    "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
)
LISTENERS = (
    "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
)


def statement(actions: str, resources: tuple[str, ...], *keys: str) -> Upstream:
    return tuple(actions.split()), resources, frozenset(keys)


# kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json at tag v3.5.0
# (the chart 3.5.0's appVersion): its 16 statements, as actions, resources, condition keys.
LBC_READS = (
    "ec2:DescribeAccountAttributes ec2:DescribeAddresses ec2:DescribeAvailabilityZones "
    "ec2:DescribeInternetGateways ec2:DescribeVpcs ec2:DescribeVpcPeeringConnections "
    "ec2:DescribeSubnets ec2:DescribeSecurityGroups ec2:DescribeInstances "
    "ec2:DescribeNetworkInterfaces ec2:DescribeTags ec2:GetCoipPoolUsage ec2:DescribeCoipPools "
    "ec2:GetSecurityGroupsForVpc ec2:DescribeIpamPools ec2:DescribeRouteTables "
    "elasticloadbalancing:DescribeLoadBalancers "
    "elasticloadbalancing:DescribeLoadBalancerAttributes "
    "elasticloadbalancing:DescribeListeners elasticloadbalancing:DescribeListenerCertificates "
    "elasticloadbalancing:DescribeSSLPolicies elasticloadbalancing:DescribeRules "
    "elasticloadbalancing:DescribeTargetGroups elasticloadbalancing:DescribeTargetGroupAttributes "
    "elasticloadbalancing:DescribeTargetHealth elasticloadbalancing:DescribeTags "
    "elasticloadbalancing:DescribeTrustStores elasticloadbalancing:DescribeListenerAttributes "
    "elasticloadbalancing:DescribeCapacityReservation"
)
LBC_WAF_SHIELD_COGNITO = (
    "cognito-idp:DescribeUserPoolClient iam:ListServerCertificates iam:GetServerCertificate "
    "waf-regional:GetWebACL waf-regional:GetWebACLForResource waf-regional:AssociateWebACL "
    "waf-regional:DisassociateWebACL wafv2:GetWebACL wafv2:GetWebACLForResource "
    "wafv2:AssociateWebACL wafv2:DisassociateWebACL shield:GetSubscriptionState "
    "shield:DescribeProtection shield:CreateProtection shield:DeleteProtection "
    "elasticloadbalancing:SetWebAcl"
)
LBC_TAGGED_CHANGES = (
    "elasticloadbalancing:ModifyLoadBalancerAttributes elasticloadbalancing:SetIpAddressType "
    "elasticloadbalancing:SetSecurityGroups elasticloadbalancing:SetSubnets "
    "elasticloadbalancing:DeleteLoadBalancer elasticloadbalancing:ModifyTargetGroup "
    "elasticloadbalancing:ModifyTargetGroupAttributes elasticloadbalancing:DeleteTargetGroup "
    "elasticloadbalancing:ModifyListenerAttributes elasticloadbalancing:ModifyCapacityReservation "
    "elasticloadbalancing:ModifyIpPools"
)
LBC_LISTENER_CHANGES = (
    "elasticloadbalancing:CreateListener elasticloadbalancing:DeleteListener "
    "elasticloadbalancing:CreateRule elasticloadbalancing:DeleteRule "
    "elasticloadbalancing:ModifyListener elasticloadbalancing:AddListenerCertificates "
    "elasticloadbalancing:RemoveListenerCertificates elasticloadbalancing:ModifyRule "
    "elasticloadbalancing:SetRulePriorities"
)
REQUEST_TAG, RESOURCE_TAG = f"aws:RequestTag/{CLUSTER_TAG}", f"aws:ResourceTag/{CLUSTER_TAG}"
LBC_UPSTREAM = [
    statement("iam:CreateServiceLinkedRole", ("*",), "iam:AWSServiceName"),
    statement(LBC_READS, ("*",)),
    statement("acm:ListCertificates acm:DescribeCertificate " + LBC_WAF_SHIELD_COGNITO, ("*",)),
    statement("ec2:AuthorizeSecurityGroupIngress ec2:RevokeSecurityGroupIngress", ("*",)),
    statement("ec2:CreateSecurityGroup", ("*",)),
    statement("ec2:CreateTags", SECURITY_GROUPS, "ec2:CreateAction", REQUEST_TAG),
    statement("ec2:CreateTags ec2:DeleteTags", SECURITY_GROUPS, REQUEST_TAG, RESOURCE_TAG),
    statement(
        "ec2:AuthorizeSecurityGroupIngress ec2:RevokeSecurityGroupIngress ec2:DeleteSecurityGroup",
        ("*",),
        RESOURCE_TAG,
    ),
    statement(
        "elasticloadbalancing:CreateLoadBalancer elasticloadbalancing:CreateTargetGroup",
        ("*",),
        REQUEST_TAG,
    ),
    statement(
        "elasticloadbalancing:AddTags elasticloadbalancing:RemoveTags",
        BALANCERS,
        REQUEST_TAG,
        RESOURCE_TAG,
    ),
    statement("elasticloadbalancing:AddTags elasticloadbalancing:RemoveTags", LISTENERS),
    statement(LBC_TAGGED_CHANGES, ("*",), RESOURCE_TAG),
    statement(
        "elasticloadbalancing:AddTags",
        BALANCERS,
        "elasticloadbalancing:CreateAction",
        REQUEST_TAG,
    ),
    statement(
        "elasticloadbalancing:RegisterTargets elasticloadbalancing:DeregisterTargets",
        ("arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",),
    ),
    statement(LBC_LISTENER_CHANGES, ("*",)),
]


def karpenter_upstream(cluster: str, arns: dict[str, str]) -> list[Upstream]:
    """aws/karpenter-provider-aws website/.../getting-started-with-karpenter/cloudformation.yaml
    at tag v1.14.1: the six KarpenterController*Policy documents, for cluster `cluster`;
    `arns` are our node role, queue and cluster (the template's own resources)."""
    owned = f"aws:ResourceTag/kubernetes.io/cluster/{cluster}"
    requested = (
        f"aws:RequestTag/kubernetes.io/cluster/{cluster}",
        "aws:RequestTag/eks:eks-cluster-name",
    )
    node_pool = "aws:ResourceTag/karpenter.sh/nodepool"
    requested_node_pool = "aws:RequestTag/karpenter.sh/nodepool"
    region_tag = "aws:ResourceTag/topology.kubernetes.io/region"
    requested_region_tag = "aws:RequestTag/topology.kubernetes.io/region"
    node_class = "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass"
    requested_node_class = "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"
    launched = tuple(
        f"arn:aws:ec2:*:*:{kind}/*"
        for kind in (
            "fleet",
            "instance",
            "volume",
            "network-interface",
            "launch-template",
            "spot-instances-request",
        )
    )
    profiles = ("arn:aws:iam::*:instance-profile/*",)
    return [
        # NodeLifecycle
        statement(
            "ec2:RunInstances ec2:CreateFleet",
            (
                "arn:aws:ec2:*::image/*",
                "arn:aws:ec2:*::snapshot/*",
                "arn:aws:ec2:*:*:security-group/*",
                "arn:aws:ec2:*:*:subnet/*",
                "arn:aws:ec2:*:*:capacity-reservation/*",
                "arn:aws:ec2:*:*:placement-group/*",
            ),
        ),
        statement(
            "ec2:RunInstances ec2:CreateFleet",
            ("arn:aws:ec2:*:*:launch-template/*",),
            owned,
            node_pool,
        ),
        statement(
            "ec2:RunInstances ec2:CreateFleet ec2:CreateLaunchTemplate",
            launched,
            *requested,
            requested_node_pool,
        ),
        statement("ec2:CreateTags", launched, *requested, "ec2:CreateAction", requested_node_pool),
        statement(
            "ec2:CreateTags",
            ("arn:aws:ec2:*:*:instance/*",),
            owned,
            node_pool,
            "aws:RequestTag/eks:eks-cluster-name",
            "aws:TagKeys",
        ),
        statement(
            "ec2:TerminateInstances ec2:DeleteLaunchTemplate",
            ("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:launch-template/*"),
            owned,
            node_pool,
        ),
        # IAMIntegration
        statement("iam:PassRole", (arns["node_role"],), "iam:PassedToService"),
        statement(
            "iam:CreateInstanceProfile",
            profiles,
            *requested,
            requested_region_tag,
            requested_node_class,
        ),
        statement(
            "iam:TagInstanceProfile",
            profiles,
            owned,
            region_tag,
            *requested,
            requested_region_tag,
            node_class,
            requested_node_class,
        ),
        statement(
            "iam:AddRoleToInstanceProfile iam:RemoveRoleFromInstanceProfile "
            "iam:DeleteInstanceProfile",
            profiles,
            owned,
            region_tag,
            node_class,
        ),
        # EKSIntegration, Interruption, ZonalShift
        statement("eks:DescribeCluster", (arns["cluster"],)),
        statement("sqs:DeleteMessage sqs:GetQueueUrl sqs:ReceiveMessage", (arns["queue"],)),
        statement(
            "arc-zonal-shift:GetManagedResource", ("*",), "arc-zonal-shift:ResourceIdentifier"
        ),
        # ResourceDiscovery
        statement(
            "ec2:DescribeCapacityReservations ec2:DescribeImages ec2:DescribeInstances "
            "ec2:DescribeInstanceStatus ec2:DescribeInstanceTypeOfferings "
            "ec2:DescribeInstanceTypes ec2:DescribeLaunchTemplates ec2:DescribePlacementGroups "
            "ec2:DescribeSecurityGroups ec2:DescribeSpotPriceHistory ec2:DescribeSubnets",
            ("*",),
            "aws:RequestedRegion",
        ),
        statement("ssm:GetParameter", ("arn:aws:ssm:*::parameter/aws/service/*",)),
        # No region condition upstream: the pricing API is called in us-east-1,
        # eu-central-1 or ap-south-1, whichever serves the cluster's region.
        statement("pricing:GetProducts", ("*",)),
        statement("iam:ListInstanceProfiles", ("*",)),
        statement("iam:GetInstanceProfile", profiles),
    ]


# Where our grant is narrower than upstream's, and what makes that safe.
LEFT_OUT_WAF = (
    "not granted: load_balancer_controller.py runs the chart with enableWaf, enableWafv2 and "
    "enableShield false, listeners take ACM certificates (no IAM server certificates) and "
    "no Ingress uses Cognito authentication"
)
IN_REGION = (
    "aws:RequestedRegion added: the controller is given its cluster's region (chart value "
    "`region`) and calls only that region's APIs"
)
SCOPED_ARNS = (
    "upstream's `*` scoped to ARNs of the resource types the action acts on, in the stack's "
    "account and region: the controller only manages its own cluster's load balancers"
)
NARROWINGS: dict[str, str] = {
    **dict.fromkeys(LBC_WAF_SHIELD_COGNITO.split(), LEFT_OUT_WAF),
    **dict.fromkeys(LBC_READS.split(), IN_REGION),
    "acm:ListCertificates": IN_REGION,
    "acm:DescribeCertificate": IN_REGION,
    "ec2:CreateSecurityGroup": IN_REGION,
    "elasticloadbalancing:CreateLoadBalancer": IN_REGION,
    "elasticloadbalancing:CreateTargetGroup": IN_REGION,
    "ec2:AuthorizeSecurityGroupIngress": SCOPED_ARNS,
    "ec2:RevokeSecurityGroupIngress": SCOPED_ARNS,
    "ec2:DeleteSecurityGroup": SCOPED_ARNS,
    **dict.fromkeys(LBC_TAGGED_CHANGES.split(), SCOPED_ARNS),
    **dict.fromkeys(LBC_LISTENER_CHANGES.split(), SCOPED_ARNS),
}
