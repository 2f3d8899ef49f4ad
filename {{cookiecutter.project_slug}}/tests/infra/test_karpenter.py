import json

from tests.infra.conftest import Plan


def test_interruption_queue_is_encrypted_and_fed_by_every_warning_event(plan: Plan) -> None:
    queue = plan.one("aws:sqs/queue:Queue")
    rules = {
        json.loads(rule["inputs"]["eventPattern"])["detail-type"][0]
        for rule in plan.all("aws:cloudwatch/eventRule:EventRule")
    }
    targets = plan.all("aws:cloudwatch/eventTarget:EventTarget")

    assert queue["sqsManagedSseEnabled"] is True
    assert rules == {
        "AWS Health Event",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
        "EC2 Capacity Reservation Instance Interruption Warning",
    }
    assert len(targets) == len(rules)
    assert all(
        target["inputs"]["arn"].endswith(":queue/karpenter-interruptions") for target in targets
    )


def test_queue_accepts_only_eventbridge_and_tls(plan: Plan) -> None:
    statements = json.loads(plan.one("aws:sqs/queuePolicy:QueuePolicy")["policy"])["Statement"]
    allow, deny = statements
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert allow["Action"] == "sqs:SendMessage"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_node_pool_uses_spot_in_dev_and_on_demand_in_prod_within_limits(plan: Plan) -> None:
    [pool] = plan.kubernetes("NodePool")
    requirements = {
        item["key"]: item["values"] for item in pool["spec"]["template"]["spec"]["requirements"]
    }

    expected = ["spot", "on-demand"] if plan.stack == "dev" else ["on-demand"]
    assert requirements["karpenter.sh/capacity-type"] == expected
    assert requirements["kubernetes.io/arch"] == ["amd64"]
    assert pool["spec"]["limits"]["cpu"] == ("16" if plan.stack == "dev" else "64")
    assert pool["spec"]["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"


def test_node_class_requires_imdsv2_and_encrypted_disks_in_private_subnets(plan: Plan) -> None:
    [node_class] = plan.kubernetes("EC2NodeClass")
    spec = node_class["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert all(device["ebs"]["encrypted"] for device in spec["blockDeviceMappings"])
    cluster_name = plan.one("aws:eks/cluster:Cluster")["name"]
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": cluster_name}}]


def test_karpenter_nodes_join_through_an_access_entry_and_controller_through_pod_identity(
    plan: Plan,
) -> None:
    entry = plan.one("aws:eks/accessEntry:AccessEntry", "karpenter-node")
    identity = plan.one(
        "aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller"
    )
    assert entry["type"] == "EC2_LINUX"
    assert (identity["namespace"], identity["serviceAccount"]) == ("kube-system", "karpenter")
