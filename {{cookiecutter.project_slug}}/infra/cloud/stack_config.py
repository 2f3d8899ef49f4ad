"""The stack's settings: read once from Pulumi config, validated, then passed to every
component. Components never read config themselves.

Every problem is reported at once, each naming its config key, before any resource is
declared.
"""

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi

Environment = Literal["dev", "prod"]

# Instance families the nodes may use: current x86 general purpose, compute and memory
# families (the service image is built for amd64, so no Graviton).
KNOWN_INSTANCE_FAMILIES = frozenset(
    {"t3", "t3a", "m5", "m5a", "m6i", "m6a", "m7i", "m7a", "c5", "c5a", "c6i", "c6a", "c7i", "c7a"}
    | {"r5", "r5a", "r6i", "r6a", "r7i", "r7a"}
)
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34")
ECR_SCANNING = ("basic", "enhanced")
ACCOUNT_ID = re.compile(r"\d{12}")
AVAILABILITY_ZONE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d[a-z]")
GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
SERVICE_IMAGE = re.compile(
    r"[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})"
)
CERTIFICATE_ARN = re.compile(r"arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+")
OIDC_PROVIDER_ARN = re.compile(
    r"arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com"
)


class StackConfigError(ValueError):
    """All problems in the stack config, one line each, naming the key."""


@dataclass(frozen=True)
class NodeGroupSize:
    minimum: int
    desired: int
    maximum: int


@dataclass(frozen=True)
class ReplicaRange:
    minimum: int
    maximum: int


@dataclass(frozen=True)
class StackConfig:
    project: str
    environment: Environment
    region: str
    account_id: str
    availability_zones: tuple[str, ...]
    vpc_cidr: ipaddress.IPv4Network
    kubernetes_version: str
    public_access_cidrs: tuple[str, ...]
    system_node_instance_type: str
    system_nodes: NodeGroupSize
    karpenter_instance_families: tuple[str, ...]
    karpenter_cpu_limit: int
    ecr_releases_kept: int
    ecr_scanning: str
    github_owner: str
    github_repository: str
    github_oidc_provider_arn: str | None
    app_namespace: str
    service_image: str | None
    service_replicas: ReplicaRange
    domain_name: str | None
    certificate_arn: str | None
    load_test_workers: int

    @property
    def name(self) -> str:
        """Prefix of every cloud resource name: project and stack, e.g. iris-classifier-dev."""
        return f"{self.project}-{self.environment}"

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @property
    def github_deploy_environment(self) -> str:
        """The GitHub environment whose jobs may assume the deploy role."""
        return "production" if self.is_production else "staging"

    @property
    def karpenter_capacity_types(self) -> tuple[str, ...]:
        # Spot halves the cost of dev; production pays for on-demand predictability.
        return ("on-demand",) if self.is_production else ("spot", "on-demand")

    @property
    def nat_gateway_count(self) -> int:
        # One NAT per zone keeps prod up when a zone fails; dev saves the cost.
        return len(self.availability_zones) if self.is_production else 1


def instance_family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def parse(values: Mapping[str, Any], project: str) -> StackConfig:
    """Build the config from raw values (as `pulumi config` holds them), or raise
    StackConfigError listing every bad key."""
    problems: list[str] = []

    def require(key: str) -> Any:
        if values.get(key) in (None, ""):
            problems.append(f"{key}: is not set; run `pulumi config set {key} <value>`")
        return values.get(key)

    def whole_number(key: str, value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            problems.append(f"{key}: {value!r} is not a whole number")
            return 0

    environment = require("environment")
    if environment not in (None, "", "dev", "prod"):
        problems.append(f"environment: {environment!r} must be 'dev' or 'prod'")

    region = require("aws:region")
    account_id = str(require("accountId") or "")
    if account_id and not ACCOUNT_ID.fullmatch(account_id):
        problems.append(f"accountId: {account_id!r} is not a 12-digit AWS account id")

    zones = tuple(values.get("availabilityZones") or ())
    if len(zones) < 2:
        problems.append(
            f"availabilityZones: {list(zones)} must list at least 2 zones, for EKS and for failover"
        )
    for zone in zones:
        if not AVAILABILITY_ZONE.fullmatch(zone) or (region and not zone.startswith(region)):
            problems.append(f"availabilityZones: {zone!r} is not a zone of region {region!r}")

    vpc_cidr = None
    try:
        vpc_cidr = ipaddress.IPv4Network(require("vpcCidr") or "", strict=True)
        if vpc_cidr.prefixlen > 20:
            problems.append(
                f"vpcCidr: {str(vpc_cidr)!r} is smaller than /20; pods take one IP each"
            )
    except ValueError as error:
        problems.append(
            f"vpcCidr: {values.get('vpcCidr')!r} is not a network in CIDR notation ({error})"
        )

    kubernetes_version = str(require("kubernetesVersion") or "")
    if kubernetes_version and kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
        supported = ", ".join(SUPPORTED_KUBERNETES_VERSIONS)
        problems.append(f"kubernetesVersion: {kubernetes_version!r} is not one of {supported}")

    public_access_cidrs = tuple(values.get("publicAccessCidrs") or ())
    for cidr in public_access_cidrs:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            problems.append(f"publicAccessCidrs: {cidr!r} is not a network in CIDR notation")
            continue
        if network.prefixlen == 0:
            problems.append(
                f"publicAccessCidrs: {cidr!r} opens the API endpoint to the whole internet"
            )
    if environment == "prod" and public_access_cidrs:
        problems.append("publicAccessCidrs: must be empty in prod, whose API endpoint is private")

    instance_type = str(require("systemNodeInstanceType") or "")
    if instance_type and instance_family(instance_type) not in KNOWN_INSTANCE_FAMILIES:
        problems.append(
            f"systemNodeInstanceType: {instance_type!r} is not of a known instance family"
        )

    sizes = values.get("systemNodes") or {}
    system_nodes = NodeGroupSize(
        minimum=whole_number("systemNodes.min", sizes.get("min")),
        desired=whole_number("systemNodes.desired", sizes.get("desired")),
        maximum=whole_number("systemNodes.max", sizes.get("max")),
    )
    if not 1 <= system_nodes.minimum <= system_nodes.desired <= system_nodes.maximum:
        problems.append(
            f"systemNodes: min {system_nodes.minimum}, desired {system_nodes.desired}, max "
            f"{system_nodes.maximum} must satisfy 1 <= min <= desired <= max"
        )

    families = tuple(values.get("karpenterInstanceFamilies") or ())
    if not families:
        problems.append(
            "karpenterInstanceFamilies: list at least one instance family, e.g. [m7i, c7i]"
        )
    for family in families:
        if family not in KNOWN_INSTANCE_FAMILIES:
            problems.append(f"karpenterInstanceFamilies: {family!r} is not a known instance family")

    cpu_limit = whole_number("karpenterCpuLimit", require("karpenterCpuLimit"))
    if cpu_limit < 2:
        problems.append(f"karpenterCpuLimit: {cpu_limit} must be at least 2 vCPUs")

    releases_kept = whole_number("ecrReleasesKept", require("ecrReleasesKept"))
    if not 1 <= releases_kept <= 1000:
        problems.append(f"ecrReleasesKept: {releases_kept} must be between 1 and 1000")

    ecr_scanning = values.get("ecrScanning") or "basic"
    if ecr_scanning not in ECR_SCANNING:
        problems.append(
            f"ecrScanning: {ecr_scanning!r} must be one of {', '.join(ECR_SCANNING)} "
            "(basic: ECR's own scan on push; enhanced: Amazon Inspector, billed per image)"
        )

    github_owner = str(require("githubOwner") or "")
    github_repository = str(require("githubRepository") or "")
    for key, name in (("githubOwner", github_owner), ("githubRepository", github_repository)):
        if name and not GITHUB_NAME.fullmatch(name):
            problems.append(f"{key}: {name!r} is not a GitHub name")

    provider_arn = values.get("githubOidcProviderArn") or None
    if provider_arn and not OIDC_PROVIDER_ARN.fullmatch(provider_arn):
        problems.append(
            f"githubOidcProviderArn: {provider_arn!r} is not the ARN of GitHub's OIDC provider "
            "(arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com)"
        )

    service_image = values.get("serviceImage") or None
    if service_image and not SERVICE_IMAGE.fullmatch(service_image):
        problems.append(
            f"serviceImage: {service_image!r} is not an image pinned by tag or digest "
            "(<registry>/<repository>:<tag> or @sha256:<digest>)"
        )

    replicas = values.get("serviceReplicas") or {}
    service_replicas = ReplicaRange(
        minimum=whole_number("serviceReplicas.min", replicas.get("min")),
        maximum=whole_number("serviceReplicas.max", replicas.get("max")),
    )
    # Two pods at least: one may be evicted or replaced while the other serves.
    if not 2 <= service_replicas.minimum <= service_replicas.maximum:
        problems.append(
            f"serviceReplicas: min {service_replicas.minimum}, max {service_replicas.maximum} "
            "must satisfy 2 <= min <= max"
        )

    domain_name = values.get("domainName") or None
    certificate_arn = values.get("certificateArn") or None
    if bool(domain_name) != bool(certificate_arn):
        problems.append(
            "domainName, certificateArn: set both (HTTPS on a public load balancer) "
            "or neither (plain HTTP on an internal one)"
        )
    if certificate_arn and not CERTIFICATE_ARN.fullmatch(certificate_arn):
        problems.append(f"certificateArn: {certificate_arn!r} is not an ACM certificate ARN")

    load_test_workers = whole_number("loadTestWorkers", require("loadTestWorkers"))
    if not 1 <= load_test_workers <= 100:
        problems.append(f"loadTestWorkers: {load_test_workers} must be between 1 and 100")

    if problems:
        raise StackConfigError("invalid stack config:\n  " + "\n  ".join(problems))
    return StackConfig(
        project=project,
        environment=environment,
        region=region,
        account_id=account_id,
        availability_zones=zones,
        vpc_cidr=vpc_cidr,
        kubernetes_version=kubernetes_version,
        public_access_cidrs=public_access_cidrs,
        system_node_instance_type=instance_type,
        system_nodes=system_nodes,
        karpenter_instance_families=families,
        karpenter_cpu_limit=cpu_limit,
        ecr_releases_kept=releases_kept,
        ecr_scanning=ecr_scanning,
        github_owner=github_owner,
        github_repository=github_repository,
        github_oidc_provider_arn=provider_arn,
        service_image=service_image,
        service_replicas=service_replicas,
        domain_name=domain_name,
        certificate_arn=certificate_arn,
        load_test_workers=load_test_workers,
        app_namespace=project,
    )


# Keys in the project's namespace; `aws:region` is read from the AWS provider's.
TEXT_KEYS = (
    "environment",
    "accountId",
    "vpcCidr",
    "kubernetesVersion",
    "systemNodeInstanceType",
    "karpenterCpuLimit",
    "ecrReleasesKept",
    "ecrScanning",
    "githubOwner",
    "githubRepository",
    "githubOidcProviderArn",
    "serviceImage",
    "domainName",
    "certificateArn",
    "loadTestWorkers",
)
# Lists and maps: YAML in the stack file, JSON by the time the program reads them.
STRUCTURED_KEYS = (
    "availabilityZones",
    "publicAccessCidrs",
    "systemNodes",
    "karpenterInstanceFamilies",
    "serviceReplicas",
)


def load() -> StackConfig:
    """Read the current stack's config and validate it."""
    config = pulumi.Config()
    values: dict[str, Any] = {"aws:region": pulumi.Config("aws").get("region")}
    values |= {key: config.get(key) for key in TEXT_KEYS}
    values |= {key: config.get_object(key) for key in STRUCTURED_KEYS}
    return parse(values, pulumi.get_project())
