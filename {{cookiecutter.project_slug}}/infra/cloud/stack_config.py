"""Each stack's settings: read once from Pulumi config, validated as a whole, then passed
to every component. Components never read config themselves.

The project has three layers, one Pulumi stack each (per environment for the last two):

    bootstrap            once per account, from a laptop: state bucket, keys, CI roles
    dev, prod            the AWS layer, from a laptop: VPC, EKS, IAM, ECR, the CI runner
    dev-cluster, ...     the cluster layer, by CI from inside the VPC: charts, the service

A stack file says which layer it is (`layer`). Every problem is reported at once, each
naming its config key, before any resource is declared; unknown keys are problems too.
"""

import ipaddress
import json
import math
import re
from typing import Annotated, Any, ClassVar, Literal, Self

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from .capacity import MAX_PODS

Environment = Literal["dev", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = ("dev", "prod")

# Instance families Karpenter may use: current x86 general purpose, compute and memory
# families (the service image is built for amd64, so no Graviton).
KNOWN_INSTANCE_FAMILIES = frozenset(
    {"t3", "t3a", "m5", "m5a", "m6i", "m6a", "m7i", "m7a", "c5", "c5a", "c6i", "c6a", "c7i", "c7a"}
    | {"r5", "r5a", "r6i", "r6a", "r7i", "r7a"}
)
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34")
AVAILABILITY_ZONE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d[a-z]")
OIDC_PROVIDER_ARN = r"arn:aws:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com"
CERTIFICATE_ARN = r"arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+"
DURATION = r"[1-9]\d*[smh]"
# 63 (S3's limit) - len("-state-") - 12 (account) - 1 - 14 (the longest region name).
STATE_BUCKET_PROJECT_LENGTH = 29

AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
GitHubName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")]


class StackConfigError(ValueError):
    """All problems in the stack config, one line each, naming the key."""


class Settings(BaseModel):
    """Keys are camelCase in the stack file, as Pulumi's own are; unknown ones are refused."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class LayerConfig(Settings):
    """What every layer knows: the project, the layer, and the region (`aws:region`)."""

    layer: str
    project: str
    region: str

    LAYER: ClassVar[str]

    @classmethod
    def parse(cls, values: dict[str, Any]) -> Self:
        """Validate raw values (as `pulumi config` holds them), or raise StackConfigError
        listing every bad key."""
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise StackConfigError(
                "invalid stack config:\n  " + "\n  ".join(describe(error))
            ) from None

    @field_validator("layer")
    @classmethod
    def require_this_layer(cls, layer: str) -> str:
        if layer != cls.LAYER:
            raise ValueError(f"{layer!r} is not {cls.LAYER!r}")
        return layer


def describe(error: ValidationError) -> list[str]:
    """One line per problem: `key.sub: message`, with the value where it helps. Checks
    across keys name their keys in the message themselves."""
    lines = []
    for problem in error.errors(include_url=False):
        key = ".".join(str(part) for part in problem["loc"])
        # The region is the AWS provider's setting, not the project's.
        key = "aws:region" if key == "region" else key
        message = problem["msg"].removeprefix("Value error, ")
        value = problem.get("input")
        if problem["type"] == "missing":
            lines.append(f"{key}: is not set; run `pulumi config set {key} <value>`")
        elif problem["type"] == "extra_forbidden":
            lines.append(f"{key}: is not a setting of this layer; remove it or fix its name")
        elif not key:
            lines.append(message)
        elif isinstance(value, dict | list):
            lines.append(f"{key}: {message}")
        else:
            lines.append(f"{key}: {value!r}: {message}")
    return lines


class EnvironmentConfig(LayerConfig):
    """An environment's stacks (AWS layer and cluster layer) share these."""

    environment: Environment

    @property
    def name(self) -> str:
        """Prefix of every cloud resource name: project and environment, e.g. iris-dev."""
        return f"{self.project}-{self.environment}"

    @property
    def is_production(self) -> bool:
        return self.environment == "prod"

    @property
    def github_deploy_environment(self) -> str:
        """The GitHub environment whose jobs deploy this stack."""
        return github_environment(self.environment)

    @property
    def app_namespace(self) -> str:
        return self.project


def github_environment(environment: Environment) -> str:
    return "production" if environment == "prod" else "staging"


class NodeGroupSize(Settings):
    min: int
    desired: int
    max: int

    @model_validator(mode="after")
    def require_order(self) -> Self:
        if not 1 <= self.min <= self.desired <= self.max:
            raise ValueError(
                f"min {self.min}, desired {self.desired}, max {self.max} must satisfy "
                "1 <= min <= desired <= max"
            )
        return self


def known_system_type(instance_type: str) -> str:
    if instance_type not in MAX_PODS:
        raise ValueError(
            f"is not an instance type whose pod capacity is known; use one of "
            f"{', '.join(sorted(MAX_PODS))}"
        )
    return instance_type


def private_network(cidr: str) -> str:
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as error:
        raise ValueError(f"is not a network in CIDR notation ({error})") from None
    if network.prefixlen > 20:
        raise ValueError("is smaller than /20; pods take one IP each")
    return cidr


# The retention periods CloudWatch Logs accepts (PutRetentionPolicy), in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096)
LOG_RETENTION_DAYS += (1827, 2192, 2557, 2922, 3288, 3653)


def log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"is not a retention CloudWatch Logs offers; use one of "
            f"{', '.join(map(str, LOG_RETENTION_DAYS))}"
        )
    return days


class LogRetention(Settings):
    """How long the containers' logs are kept in CloudWatch (docs/logs-and-traces.md)."""

    retention_days: Annotated[int, AfterValidator(log_retention)] = 30


class AwsLayerConfig(EnvironmentConfig):
    """The AWS layer of one environment (stack `dev` or `prod`): needs AWS APIs only."""

    LAYER: ClassVar[str] = "aws"

    account_id: AccountId
    availability_zones: list[str]
    vpc_cidr: Annotated[str, AfterValidator(private_network)]
    kubernetes_version: Literal[SUPPORTED_KUBERNETES_VERSIONS]  # type: ignore[valid-type]
    public_access_cidrs: list[str] = []
    system_node_instance_type: Annotated[str, AfterValidator(known_system_type)]
    system_nodes: NodeGroupSize
    ecr_releases_kept: Annotated[int, Field(ge=1, le=1000)]
    # basic: ECR's own scan on push; enhanced: Amazon Inspector, billed per image.
    ecr_scanning: Literal["basic", "enhanced"] = "basic"
    logs: LogRetention = LogRetention()

    @property
    def vpc_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)

    @property
    def nat_gateway_count(self) -> int:
        # One NAT per zone keeps prod up when a zone fails; dev saves the cost.
        return len(self.availability_zones) if self.is_production else 1

    @field_validator("availability_zones")
    @classmethod
    def require_two_zones(cls, zones: list[str]) -> list[str]:
        if len(zones) < 2:
            raise ValueError("must list at least 2 zones, for EKS and for failover")
        # The subnet plan (network.py) has room for 6, as many as any region has.
        if len(zones) > 6:
            raise ValueError("must list at most 6 zones")
        return zones

    @field_validator("public_access_cidrs")
    @classmethod
    def require_narrow_networks(cls, cidrs: list[str]) -> list[str]:
        for cidr in cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a network in CIDR notation") from None
            if network.prefixlen == 0:
                raise ValueError(f"{cidr!r} opens the API endpoint to the whole internet")
        # EKS refuses more than 40 (and GitHub's hosted runners have no stable ranges).
        if len(cidrs) > 40:
            raise ValueError(f"lists {len(cidrs)} networks; EKS allows at most 40")
        return cidrs

    @model_validator(mode="after")
    def require_consistency(self) -> Self:
        problems = [
            f"availabilityZones: {zone!r} is not a zone of region {self.region!r}"
            for zone in self.availability_zones
            if not AVAILABILITY_ZONE.fullmatch(zone) or not zone.startswith(self.region)
        ]
        if self.is_production and self.public_access_cidrs:
            problems.append(
                "publicAccessCidrs: must be empty in prod, whose API endpoint is private"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ReplicaRange(Settings):
    min: int
    max: int

    @model_validator(mode="after")
    def require_two(self) -> Self:
        # Two pods at least: one may be evicted or replaced while the other serves.
        if not 2 <= self.min <= self.max:
            raise ValueError(f"min {self.min}, max {self.max} must satisfy 2 <= min <= max")
        return self


class CanaryStep(Settings):
    weight: Annotated[int, Field(ge=1, le=99)]
    pause: Annotated[str, Field(pattern=f"^{DURATION}$")]


def duration_seconds(duration: str) -> int:
    """`30s`, `2m` or `1h`, as Argo Rollouts writes a pause."""
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


class Canary(Settings):
    """The canary's traffic steps after the Locust gate: the first weight gets the
    Prometheus analysis (with load driven at it), the later ones a pause each."""

    analysis_weight: Annotated[int, Field(ge=1, le=50)] = 10
    # One Prometheus measurement a minute; every one must pass.
    analysis_minutes: Annotated[int, Field(ge=2, le=60)] = 5
    steps: list[CanaryStep] = [CanaryStep(weight=25, pause="2m"), CanaryStep(weight=50, pause="2m")]

    @property
    def traffic_minutes(self) -> int:
        """From the first traffic step to promotion: the analysis weight's hold and every
        later step's pause. The background analysis measures, and its load runs, this long."""
        seconds = sum(duration_seconds(step.pause) for step in self.steps)
        return self.analysis_minutes + math.ceil(seconds / 60)

    @model_validator(mode="after")
    def require_rising_weights(self) -> Self:
        weights = [self.analysis_weight, *(step.weight for step in self.steps)]
        if weights != sorted(set(weights)):
            raise ValueError(f"weights {weights} must rise step by step, each below 100")
        return self


class PredictionLogRetention(Settings):
    """How long the prediction log is kept, and how large it may grow, across every pod
    (docs/prediction-log.md). Enforced hourly by the drift job, which reads a day."""

    retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    max_gib: Annotated[int, Field(ge=1, le=100_000)] = 50


class Tracing(Settings):
    """Request traces to X-Ray through an in-cluster collector: off unless enabled, then
    this share of requests (docs/logs-and-traces.md)."""

    enabled: bool = False
    sample_ratio: Annotated[float, Field(gt=0, le=1)] = 0.05


# Five cron fields, as a CronJob's schedule; each a number, a range, a list, a step or *.
CRON_FIELD = r"(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*"
CRON_SCHEDULE = rf"^{CRON_FIELD}( {CRON_FIELD}){{4}}$"


class BatchScoring(Settings):
    """The batch job (docs/batch.md): the input's files dealt out to `shards` indexes of
    an Indexed Job, `parallelism` of them at once; on `schedule` (cron, UTC), or only when
    started by hand if unset."""

    shards: Annotated[int, Field(ge=1, le=1000)] = 4
    parallelism: Annotated[int, Field(ge=1, le=100)] = 2
    schedule: Annotated[str, Field(pattern=CRON_SCHEDULE)] | None = None

    @model_validator(mode="after")
    def require_parallelism_within_shards(self) -> Self:
        if self.parallelism > self.shards:
            raise ValueError(
                f"parallelism {self.parallelism} is more than the {self.shards} shards"
            )
        return self


class ClusterLayerConfig(EnvironmentConfig):
    """The cluster layer of one environment (stack `<environment>-cluster`): Kubernetes
    objects only, applied from inside the VPC; the AWS layer's outputs tell it where."""

    LAYER: ClassVar[str] = "cluster"

    karpenter_instance_families: list[str]
    # Upper bound of vCPUs Karpenter may launch in total: a cost ceiling.
    karpenter_cpu_limit: Annotated[int, Field(ge=2)]
    service_replicas: ReplicaRange
    load_test_workers: Annotated[int, Field(ge=1, le=100)]
    domain_name: str | None = None
    certificate_arn: Annotated[str, Field(pattern=f"^{CERTIFICATE_ARN}$")] | None = None
    canary: Canary = Canary()
    prediction_log: PredictionLogRetention = PredictionLogRetention()
    batch: BatchScoring = BatchScoring()
    tracing: Tracing = Tracing()

    @property
    def aws_stack(self) -> str:
        """The AWS layer's stack of the same environment, whose outputs this one reads."""
        return f"organization/{self.project}/{self.environment}"

    @property
    def load_balancer_scheme(self) -> str:
        """HTTPS on a public load balancer with a domain; otherwise plain HTTP on an
        internal one, reachable from the VPC only."""
        return "internet-facing" if self.certificate_arn else "internal"

    @property
    def karpenter_capacity_types(self) -> tuple[str, ...]:
        # Spot halves the cost of dev; production pays for on-demand predictability.
        return ("on-demand",) if self.is_production else ("spot", "on-demand")

    @field_validator("karpenter_instance_families")
    @classmethod
    def require_known_families(cls, families: list[str]) -> list[str]:
        if not families:
            raise ValueError("list at least one instance family, e.g. [m7i, c7i]")
        unknown = [family for family in families if family not in KNOWN_INSTANCE_FAMILIES]
        if unknown:
            raise ValueError(f"{unknown} are not known instance families")
        return families

    @model_validator(mode="after")
    def require_domain_with_certificate(self) -> Self:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError(
                "domainName, certificateArn: set both (HTTPS on a public load balancer) "
                "or neither (plain HTTP on an internal one)"
            )
        return self


class BootstrapConfig(LayerConfig):
    """Once per account (stack `bootstrap`): what must exist before any environment."""

    LAYER: ClassVar[str] = "bootstrap"
    # Tags of account-wide resources name no environment.
    environment: ClassVar[str] = "account"

    account_id: AccountId
    github_owner: GitHubName
    github_repository: GitHubName
    # GitHub's OIDC provider exists once per account: reuse it if something else made it.
    github_oidc_provider_arn: Annotated[str, Field(pattern=f"^{OIDC_PROVIDER_ARN}$")] | None = None
    # AWSServiceRoleForEC2Spot: Karpenter cannot create it and spot launches fail without
    # it. Set false if the account already has it (`aws iam get-role --role-name
    # AWSServiceRoleForEC2Spot` answers).
    create_spot_service_linked_role: bool = True

    @property
    def name(self) -> str:
        return self.project

    @property
    def github_repository_path(self) -> str:
        return f"{self.github_owner}/{self.github_repository}"

    @property
    def state_bucket_name(self) -> str:
        """Globally unique: the account and region are part of it. S3 allows 63 characters:
        the project's part is cut to fit the longest region name (14)."""
        project = self.project[:STATE_BUCKET_PROJECT_LENGTH].rstrip("-")
        return f"{project}-state-{self.account_id}-{self.region}"


LAYERS: dict[str, type[LayerConfig]] = {
    config.LAYER: config for config in (BootstrapConfig, AwsLayerConfig, ClusterLayerConfig)
}


def program_config() -> dict[str, Any]:
    """This project's config keys without their namespace, structured values decoded,
    plus `region` from `aws:region`."""
    project = pulumi.get_project()
    raw = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values: dict[str, Any] = {"project": project, "region": raw.get("aws:region")}
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace == project:
            values[key] = decode(value)
    return {key: value for key, value in values.items() if value not in (None, "")}


def decode(value: Any) -> Any:
    """Lists and maps reach a program as JSON text; plain strings stay as they are."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def load() -> LayerConfig:
    """Read the current stack's config and validate it as its layer's."""
    values = program_config()
    layer = values.get("layer")
    if layer not in LAYERS:
        raise StackConfigError(
            f"invalid stack config:\n  layer: {layer!r} must be one of {', '.join(LAYERS)} "
            f"(set in Pulumi.{pulumi.get_stack()}.yaml)"
        )
    return LAYERS[layer].parse(values)
