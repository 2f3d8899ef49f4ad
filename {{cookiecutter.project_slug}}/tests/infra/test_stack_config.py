import re
from pathlib import Path

import pytest

from cloud.stack_config import (
    AwsLayerConfig,
    BootstrapConfig,
    ClusterLayerConfig,
    LayerConfig,
    StackConfigError,
)
from tests.infra.conftest import PROJECT, STACKS, Plan, run_plan

COMMON = {"project": "example", "region": "eu-west-1"}
BOOTSTRAP = {
    **COMMON,
    "layer": "bootstrap",
    "accountId": "123456789012",
    "githubOwner": "example-org",
    "githubRepository": "example",
}
AWS = {
    **COMMON,
    "layer": "aws",
    "environment": "dev",
    "accountId": "123456789012",
    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "vpcCidr": "10.20.0.0/16",
    "kubernetesVersion": "1.34",
    "publicAccessCidrs": [],
    "systemNodeInstanceType": "t3.large",
    "systemNodes": {"min": 2, "desired": 2, "max": 3},
    "ecrReleasesKept": "30",
    "ecrScanning": "basic",
}
CLUSTER = {
    **COMMON,
    "layer": "cluster",
    "environment": "dev",
    "karpenterInstanceFamilies": ["m7i"],
    "karpenterCpuLimit": "16",
    "serviceReplicas": {"min": 2, "max": 4},
    "loadTestWorkers": "2",
    "canary": {
        "analysisWeight": 10,
        "analysisMinutes": 5,
        "steps": [{"weight": 25, "pause": "2m"}, {"weight": 50, "pause": "2m"}],
    },
}
VALID: dict[type[LayerConfig], dict[str, object]] = {
    BootstrapConfig: BOOTSTRAP,
    AwsLayerConfig: AWS,
    ClusterLayerConfig: CLUSTER,
}


def problems_for(layer: type[LayerConfig], /, *removed: str, **changes: object) -> str:
    values = {key: value for key, value in VALID[layer].items() if key not in removed}
    with pytest.raises(StackConfigError) as error:
        layer.parse({**values, **changes})
    return str(error.value)


def test_a_valid_bootstrap_config_parses_into_typed_settings() -> None:
    config = BootstrapConfig.parse(BOOTSTRAP)
    assert config.github_repository_path == "example-org/example"
    assert config.state_bucket_name == "example-state-123456789012-eu-west-1"
    assert config.create_spot_service_linked_role is True
    assert config.github_oidc_provider_arn is None


def test_the_state_bucket_name_is_valid_for_s3_for_the_longest_project_and_region() -> None:
    # Slugs may have 40 characters (the template's rule); S3 names at most 63.
    project = "a" * 28 + "-" + "b" * 11
    config = BootstrapConfig.parse({**BOOTSTRAP, "project": project, "region": "ap-southeast-5"})
    assert len(config.state_bucket_name) <= 63
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", config.state_bucket_name)
    assert "--" not in config.state_bucket_name


def test_a_valid_aws_layer_config_parses_into_typed_settings() -> None:
    config = AwsLayerConfig.parse(AWS)
    assert config.name == "example-dev"
    assert config.system_nodes.max == 3
    assert config.ecr_releases_kept == 30
    assert config.nat_gateway_count == 1
    assert config.github_deploy_environment == "staging"


def test_a_valid_cluster_layer_config_parses_into_typed_settings() -> None:
    config = ClusterLayerConfig.parse(CLUSTER)
    assert config.aws_stack == "organization/example/dev"
    assert config.karpenter_cpu_limit == 16
    assert config.karpenter_capacity_types == ("spot", "on-demand")
    assert [step.weight for step in config.canary.steps] == [25, 50]


def test_prod_gets_a_nat_per_zone_and_on_demand_nodes_only() -> None:
    zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    aws = AwsLayerConfig.parse({**AWS, "environment": "prod", "availabilityZones": zones})
    cluster = ClusterLayerConfig.parse({**CLUSTER, "environment": "prod"})
    assert aws.nat_gateway_count == 3
    assert aws.github_deploy_environment == "production"
    assert cluster.karpenter_capacity_types == ("on-demand",)


@pytest.mark.parametrize(
    ("layer", "changes", "message"),
    [
        (
            AwsLayerConfig,
            {"systemNodes": {"min": 3, "desired": 2, "max": 1}},
            "systemNodes: min 3, desired 2, max 1 must satisfy 1 <= min <= desired <= max",
        ),
        (AwsLayerConfig, {"systemNodes": {"min": 0, "desired": 0, "max": 0}}, "systemNodes: min 0"),
        (
            AwsLayerConfig,
            {"availabilityZones": ["eu-west-1a"]},
            "availabilityZones: must list at least 2 zones",
        ),
        (
            AwsLayerConfig,
            {"availabilityZones": ["eu-west-1a", "us-east-1b"]},
            "availabilityZones: 'us-east-1b' is not a zone of region 'eu-west-1'",
        ),
        (AwsLayerConfig, {"vpcCidr": "10.0.0.0/33"}, "vpcCidr: '10.0.0.0/33': is not a network"),
        (AwsLayerConfig, {"vpcCidr": "10.0.0.1/16"}, "vpcCidr: '10.0.0.1/16': is not a network"),
        (AwsLayerConfig, {"vpcCidr": "10.0.0.0/24"}, "vpcCidr: '10.0.0.0/24': is smaller than /20"),
        (AwsLayerConfig, {"ecrScanning": "deep"}, "ecrScanning: 'deep':"),
        (
            AwsLayerConfig,
            {"environment": "prod", "publicAccessCidrs": ["203.0.113.0/24"]},
            "publicAccessCidrs: must be empty in prod",
        ),
        (
            AwsLayerConfig,
            {"publicAccessCidrs": ["0.0.0.0/0"]},
            "publicAccessCidrs: '0.0.0.0/0' opens the API endpoint to the whole internet",
        ),
        (
            AwsLayerConfig,
            {"publicAccessCidrs": [f"198.51.{index}.0/24" for index in range(41)]},
            "publicAccessCidrs: lists 41 networks; EKS allows at most 40",
        ),
        (
            AwsLayerConfig,
            {"systemNodeInstanceType": "x9.huge"},
            "systemNodeInstanceType: 'x9.huge': is not an instance type whose pod capacity",
        ),
        (AwsLayerConfig, {"kubernetesVersion": "1.20"}, "kubernetesVersion: '1.20':"),
        (AwsLayerConfig, {"accountId": "1234"}, "accountId: '1234':"),
        (AwsLayerConfig, {"environment": "staging"}, "environment: 'staging':"),
        (
            ClusterLayerConfig,
            {"domainName": "api.example.com"},
            "domainName, certificateArn: set both",
        ),
        (
            ClusterLayerConfig,
            {
                "canary": {
                    "analysisWeight": 30,
                    "steps": [{"weight": 25, "pause": "2m"}, {"weight": 50, "pause": "2m"}],
                }
            },
            "canary: weights [30, 25, 50] must rise step by step",
        ),
        (
            ClusterLayerConfig,
            {"karpenterInstanceFamilies": ["m7g"]},
            "karpenterInstanceFamilies: ['m7g'] are not known instance families",
        ),
        (
            ClusterLayerConfig,
            {"serviceReplicas": {"min": 1, "max": 4}},
            "serviceReplicas: min 1, max 4 must satisfy 2 <= min <= max",
        ),
        (
            ClusterLayerConfig,
            {"batch": {"shards": 2, "parallelism": 3}},
            "batch: parallelism 3 is more than the 2 shards",
        ),
        (ClusterLayerConfig, {"batch": {"schedule": "daily"}}, "batch.schedule: 'daily':"),
        (ClusterLayerConfig, {"batch": {"shards": 0}}, "batch.shards: 0:"),
        (ClusterLayerConfig, {"tracing": {"sampleRatio": 0}}, "tracing.sampleRatio: 0:"),
        (
            AwsLayerConfig,
            {"logs": {"retentionDays": 31}},
            "logs.retentionDays: 31: is not a retention CloudWatch Logs offers",
        ),
        (BootstrapConfig, {"githubRepository": "a/b"}, "githubRepository: 'a/b':"),
        (
            BootstrapConfig,
            {"githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"},
            "githubOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/example.com':",
        ),
        (BootstrapConfig, {"layer": "aws"}, "layer: 'aws' is not 'bootstrap'"),
    ],
)
def test_a_bad_value_is_rejected_naming_its_key(
    layer: type[LayerConfig], changes: dict[str, object], message: str
) -> None:
    """`message` is `key: words`: one line names the key and says the words (after the
    value, where the line shows it)."""
    key, words = message.split(": ", 1)
    lines = [line.strip() for line in problems_for(layer, **changes).splitlines()[1:]]
    assert any(line.startswith(f"{key}: ") and words in line for line in lines), lines


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        (BootstrapConfig, "vpcCidr"),
        (AwsLayerConfig, "canary"),
        # The released image is delivery's record (cloud/release_record.py), not a setting.
        (ClusterLayerConfig, "serviceImage"),
        (ClusterLayerConfig, "systemNodes"),
        (AwsLayerConfig, "vpcCIDR"),
    ],
)
def test_a_key_of_another_layer_or_misspelt_is_not_a_setting_of_this_layer(
    layer: type[LayerConfig], key: str
) -> None:
    problems = problems_for(layer, **{key: "10.0.0.0/16"})
    assert f"{key}: is not a setting of this layer" in problems


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        (BootstrapConfig, "githubOwner"),
        (AwsLayerConfig, "accountId"),
        (ClusterLayerConfig, "environment"),
    ],
)
def test_a_missing_key_is_named_with_the_command_that_sets_it(
    layer: type[LayerConfig], key: str
) -> None:
    assert f"{key}: is not set; run `pulumi config set {key} <value>`" in problems_for(layer, key)


def test_every_problem_is_reported_at_once_one_line_per_key() -> None:
    problems = problems_for(
        AwsLayerConfig, "accountId", vpcCidr="nope", ecrScanning="deep", bogus="1"
    ).splitlines()[1:]
    keys = [line.strip().split(":")[0] for line in problems]
    assert sorted(keys) == ["accountId", "bogus", "ecrScanning", "vpcCidr"]


def test_every_stack_file_is_one_of_the_planned_stacks() -> None:
    files = {path.name for path in (PROJECT / "infra").glob("Pulumi.*.yaml")}
    assert files == {f"Pulumi.{stack}.yaml" for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_file_plans(stack: str, stacks: dict[str, Plan]) -> None:
    assert stacks[stack].resources, f"{stack} declared nothing"


@pytest.mark.parametrize(
    ("stack", "overrides", "messages"),
    [
        (
            "dev",
            ["vpcCidr=10.0.0.0/33", 'systemNodes={"min": 3, "desired": 2, "max": 1}'],
            ["vpcCidr: '10.0.0.0/33'", "systemNodes: min 3"],
        ),
        (
            "prod-cluster",
            ['canary={"analysisWeight": 60}', "surplusKey=1"],
            ["canary.analysisWeight: 60", "surplusKey: is not a setting of this layer"],
        ),
        ("bootstrap", ["githubOwner=not/allowed"], ["githubOwner: 'not/allowed'"]),
    ],
)
def test_a_bad_value_makes_the_plan_fail_before_declaring_any_resource(
    stack: str, overrides: list[str], messages: list[str], tmp_path: Path
) -> None:
    result = run_plan(stack, tmp_path / stack, *overrides)

    assert result.returncode == 1
    assert "the program stopped before declaring any resource" in result.stderr
    for message in messages:
        assert message in result.stderr
    assert not (tmp_path / stack / "resources.json").exists()
