import json

from tests.infra.conftest import PROJECT, Plan, reveal

CLUSTER = "aws:eks/cluster:Cluster"


def test_control_plane_logs_everything_and_encrypts_secrets_with_a_rotating_key(plan: Plan) -> None:
    cluster = plan.one(CLUSTER)
    key = plan.one("aws:kms/key:Key", "cluster-secrets-key")

    assert sorted(cluster["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"].endswith(":key/cluster-secrets-key")
    assert key["enableKeyRotation"] is True


def test_cluster_uses_access_entries_and_standard_support(plan: Plan) -> None:
    cluster = plan.one(CLUSTER)
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster["version"] == "1.34"


def test_api_endpoint_is_private_unless_dev_lists_networks(plan: Plan) -> None:
    endpoint = plan.one(CLUSTER)["vpcConfig"]
    assert endpoint["endpointPrivateAccess"] is True
    assert endpoint["endpointPublicAccess"] is False
    assert not endpoint.get("publicAccessCidrs")


def test_dev_endpoint_is_public_only_to_the_listed_networks(plan_variant) -> None:
    dev = plan_variant("dev", "public-endpoint", 'publicAccessCidrs=["203.0.113.0/24"]')
    endpoint = dev.one(CLUSTER)["vpcConfig"]
    assert endpoint["endpointPublicAccess"] is True
    assert endpoint["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_system_nodes_require_imdsv2_with_one_hop_and_encrypted_disks(plan: Plan) -> None:
    template = plan.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    [disk] = template["blockDeviceMappings"]
    assert disk["ebs"]["encrypted"] == "true"
    node_group = plan.one("aws:eks/nodeGroup:NodeGroup")
    assert node_group["launchTemplate"]["id"] == "cluster-system-nodes-id"


def test_system_node_group_is_sized_from_config(plan: Plan) -> None:
    scaling = plan.one("aws:eks/nodeGroup:NodeGroup")["scalingConfig"]
    expected = (2, 2, 3) if plan.stack == "dev" else (3, 3, 4)
    assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == expected


def test_core_addons_are_installed(plan: Plan) -> None:
    addons = {
        addon["inputs"]["addonName"]
        for addon in plan.all("aws:eks/addon:Addon")
        if addon["name"].startswith("cluster-")
    }
    assert addons == {
        "vpc-cni",
        "coredns",
        "kube-proxy",
        "eks-pod-identity-agent",
        "metrics-server",
    }


def test_kubeconfig_gets_tokens_from_the_aws_cli(plan: Plan) -> None:
    kubeconfig = json.loads(reveal(plan.one("pulumi:providers:kubernetes")["kubeconfig"]))
    [user] = kubeconfig["users"]
    assert user["user"]["exec"]["command"] == "aws"
    assert user["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert "token" not in user["user"]
    assert PROJECT.name in kubeconfig["current-context"]
