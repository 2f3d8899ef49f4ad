import pytest
import yaml

from cloud.stack_config import StackConfigError, parse

from tests.infra.conftest import PROJECT, STACKS, run_plan

VALID = {
    "aws:region": "eu-west-1",
    "environment": "dev",
    "accountId": "123456789012",
    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "vpcCidr": "10.20.0.0/16",
    "kubernetesVersion": "1.34",
    "publicAccessCidrs": [],
    "systemNodeInstanceType": "t3.medium",
    "systemNodes": {"min": 2, "desired": 2, "max": 3},
    "karpenterInstanceFamilies": ["m7i"],
    "karpenterCpuLimit": "16",
    "ecrReleasesKept": "30",
    "githubOwner": "example-org",
    "githubRepository": "example",
    "serviceReplicas": {"min": 2, "max": 4},
    "loadTestWorkers": "2",
}


def problems_for(**changes: object) -> str:
    with pytest.raises(StackConfigError) as error:
        parse({**VALID, **changes}, "example")
    return str(error.value)


def test_valid_config_parses_into_typed_settings() -> None:
    config = parse(VALID, "example")
    assert config.name == "example-dev"
    assert config.system_nodes.maximum == 3
    assert config.nat_gateway_count == 1
    assert config.karpenter_capacity_types == ("spot", "on-demand")


def test_prod_gets_a_nat_per_zone_and_on_demand_nodes_only() -> None:
    config = parse(
        {
            **VALID,
            "environment": "prod",
            "availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        },
        "example",
    )
    assert config.nat_gateway_count == 3
    assert config.karpenter_capacity_types == ("on-demand",)
    assert config.github_deploy_environment == "production"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"systemNodes": {"min": 3, "desired": 2, "max": 1}},
            "systemNodes: min 3, desired 2, max 1",
        ),
        ({"systemNodes": {"min": 0, "desired": 0, "max": 0}}, "systemNodes: min 0"),
        (
            {"systemNodes": {"min": "two", "desired": 2, "max": 3}},
            "systemNodes.min: 'two' is not a whole number",
        ),
        (
            {"availabilityZones": ["eu-west-1a"]},
            "availabilityZones: ['eu-west-1a'] must list at least 2 zones",
        ),
        (
            {"availabilityZones": ["eu-west-1a", "us-east-1b"]},
            "availabilityZones: 'us-east-1b' is not a zone of region",
        ),
        ({"ecrScanning": "deep"}, "ecrScanning: 'deep' must be one of basic, enhanced"),
        ({"vpcCidr": "10.0.0.0/33"}, "vpcCidr: '10.0.0.0/33' is not a network in CIDR notation"),
        ({"vpcCidr": "10.0.0.1/16"}, "vpcCidr: '10.0.0.1/16' is not a network in CIDR notation"),
        ({"vpcCidr": "10.0.0.0/24"}, "vpcCidr: '10.0.0.0/24' is smaller than /20"),
        (
            {"karpenterInstanceFamilies": ["m7g"]},
            "karpenterInstanceFamilies: 'm7g' is not a known instance family",
        ),
        ({"karpenterInstanceFamilies": []}, "karpenterInstanceFamilies: list at least one"),
        (
            {"systemNodeInstanceType": "x9.huge"},
            "systemNodeInstanceType: 'x9.huge' is not of a known instance family",
        ),
        ({"kubernetesVersion": "1.20"}, "kubernetesVersion: '1.20' is not one of"),
        (
            {"publicAccessCidrs": ["0.0.0.0/0"]},
            "publicAccessCidrs: '0.0.0.0/0' opens the API endpoint to the whole internet",
        ),
        ({"publicAccessCidrs": ["not-a-cidr"]}, "publicAccessCidrs: 'not-a-cidr' is not a network"),
        (
            {
                "environment": "prod",
                "availabilityZones": ["eu-west-1a", "eu-west-1b"],
                "publicAccessCidrs": ["203.0.113.0/24"],
            },
            "publicAccessCidrs: must be empty in prod",
        ),
        ({"environment": "staging"}, "environment: 'staging' must be 'dev' or 'prod'"),
        ({"accountId": "1234"}, "accountId: '1234' is not a 12-digit AWS account id"),
        ({"accountId": ""}, "accountId: is not set; run `pulumi config set accountId <value>`"),
        ({"karpenterCpuLimit": "1"}, "karpenterCpuLimit: 1 must be at least 2 vCPUs"),
        ({"ecrReleasesKept": "lots"}, "ecrReleasesKept: 'lots' is not a whole number"),
        ({"githubRepository": "a/b"}, "githubRepository: 'a/b' is not a GitHub name"),
        (
            {"githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"},
            "githubOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/example.com' is not",
        ),
        (
            {"serviceImage": "latest"},
            "serviceImage: 'latest' is not an image pinned by tag or digest",
        ),
        (
            {"serviceReplicas": {"min": 1, "max": 4}},
            "serviceReplicas: min 1, max 4 must satisfy 2 <= min <= max",
        ),
        ({"domainName": "api.example.com"}, "domainName, certificateArn: set both"),
        (
            {"domainName": "api.example.com", "certificateArn": "arn:aws:iam::123456789012:x"},
            "certificateArn: 'arn:aws:iam::123456789012:x' is not an ACM certificate ARN",
        ),
    ],
)
def test_invalid_value_is_rejected_naming_its_key(changes: dict[str, object], message: str) -> None:
    assert message in problems_for(**changes)


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_for(vpcCidr="nope", availabilityZones=[], accountId="x")
    assert "vpcCidr:" in problems
    assert "availabilityZones:" in problems
    assert "accountId:" in problems


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_files_are_valid(stack: str) -> None:
    settings = yaml.safe_load((PROJECT / "infra" / f"Pulumi.{stack}.yaml").read_text())["config"]
    project = yaml.safe_load((PROJECT / "infra" / "Pulumi.yaml").read_text())["name"]
    values = {key.removeprefix(f"{project}:"): value for key, value in settings.items()}
    config = parse({**values, "accountId": values["accountId"] or "123456789012"}, project)
    assert config.environment == stack


def test_invalid_config_stops_the_program_before_any_resource(tmp_path) -> None:
    result = run_plan(
        "dev", tmp_path, "vpcCidr=10.0.0.0/33", 'systemNodes={"min": 3, "desired": 2, "max": 1}'
    )

    assert result.returncode == 1
    assert "the program stopped before declaring any resource" in result.stderr
    assert "vpcCidr: '10.0.0.0/33'" in result.stderr
    assert "systemNodes: min 3" in result.stderr
    assert not (tmp_path / "resources.json").exists()
