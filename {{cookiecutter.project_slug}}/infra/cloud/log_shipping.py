"""Every container's output in CloudWatch Logs, kept `logs.retentionDays` and searchable
(docs/logs-and-traces.md).

Fluent Bit (AWS's chart: a DaemonSet on every node) tails the nodes' container logs, adds
each pod's Kubernetes metadata, parses JSON lines into fields under `log_processed` and
sends each line to its purpose's log group:

- service: the service's own containers, its access log and errors;
- jobs: every other pod of the app namespace (the Locust gates, the drift and batch jobs);
- platform: every other namespace (the controllers, Prometheus, Fluent Bit itself).

The AWS layer makes the groups, encrypted with their own key, and the saved Logs Insights
queries; the agent's role may only add streams and events to those groups, so it can
neither make nor re-point a group. The cluster layer runs the agent.
"""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import helm_charts, iam
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .encryption import rotating_key
from .naming import component_type, tags
from .pod_identity import pod_identity_role
from .service_pod import SERVICE_CONTAINER
from .stack_config import AwsLayerConfig, ClusterLayerConfig, EnvironmentConfig

NAMESPACE = "logging"
SERVICE_ACCOUNT = "fluent-bit"
PURPOSES = ("service", "jobs", "platform")
# The kubernetes filter puts a JSON line's fields under this key (as AWS's Container
# Insights does), away from the record's own `time`, `stream` and `kubernetes`.
MERGED_KEY = "log_processed"
# How the tail input's tags end: the container's id and the file's suffix.
CONTAINER_ID = r"-[0-9a-f]{64}\.log$"

# Saved Logs Insights queries, by name; each reads the service group. Fields a JSON line
# carries are under log_processed, the pod's under kubernetes (tests/infra/
# test_log_shipping.py checks each against lines of a running service). Pick the time
# range (e.g. the last hour) when running them.
QUERIES = {
    "A request by its id": f"""\
fields @timestamp, kubernetes.pod_name, {MERGED_KEY}.level, {MERGED_KEY}.message,
       {MERGED_KEY}.status, {MERGED_KEY}.duration_ms, {MERGED_KEY}.model_version
| filter {MERGED_KEY}.request_id = "replace-with-the-x-request-id"
| sort @timestamp asc""",
    "Server errors by pod": f"""\
filter {MERGED_KEY}.message = "request served" and {MERGED_KEY}.status >= 500
| stats count(*) as errors by kubernetes.pod_name, {MERGED_KEY}.model_version
| sort errors desc""",
    "Slowest requests": f"""\
fields @timestamp, {MERGED_KEY}.request_id, {MERGED_KEY}.path, {MERGED_KEY}.status,
       {MERGED_KEY}.duration_ms, kubernetes.pod_name
| filter {MERGED_KEY}.message = "request served"
| sort {MERGED_KEY}.duration_ms desc
| limit 20""",
}


def log_group_name(config: EnvironmentConfig, purpose: str) -> str:
    return f"/{config.project}/{config.environment}/{purpose}"


def log_group_arn(config: AwsLayerConfig, name: str) -> str:
    return f"arn:aws:logs:{config.region}:{config.account_id}:log-group:{name}"


def key_policy(config: AwsLayerConfig) -> str:
    """The account administers the key (KMS's default); CloudWatch Logs may use it for
    this environment's groups only."""
    logs = f"logs.{config.region}.amazonaws.com"
    groups = log_group_arn(config, log_group_name(config, "*"))
    return json.dumps(
        iam.document(
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{config.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncryptsTheGroups",
                "Effect": "Allow",
                "Principal": {"Service": logs},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                # AWS's example compares with ArnLike; the key is a string, and StringLike
                # matches the same ARNs.
                "Condition": {"StringLike": {"kms:EncryptionContext:aws:logs:arn": groups}},
            },
        )
    )


def agent_policy(config: AwsLayerConfig) -> str:
    """What Fluent Bit's cloudwatch_logs output calls on groups that exist (with
    auto_create_group and log_retention_days off): CreateLogStream and PutLogEvents."""
    arns = [log_group_arn(config, log_group_name(config, purpose)) for purpose in PURPOSES]
    streams = [f"{arn}:log-stream:*" for arn in arns]
    return json.dumps(
        iam.document(iam.allow(["logs:CreateLogStream", "logs:PutLogEvents"], arns + streams))
    )


class LogShippingAws(pulumi.ComponentResource):
    """The AWS layer's part: the groups, their key, the queries and the agent's role."""

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "LogShippingAws"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = rotating_key(f"{name}-key", config, "Encrypts the logs", self, key_policy(config))
        groups = {
            purpose: aws.cloudwatch.LogGroup(
                f"{name}-{purpose}",
                name=log_group_name(config, purpose),
                retention_in_days=config.logs.retention_days,
                kms_key_id=key.arn,
                tags=tags(config),
                opts=child,
            )
            for purpose in PURPOSES
        }
        for index, (title, query) in enumerate(QUERIES.items()):
            aws.cloudwatch.QueryDefinition(
                f"{name}-query-{index}",
                # A slash makes a folder in the console's saved queries.
                name=f"{config.name}/{title}",
                query_string=query,
                log_group_names=[groups["service"].name],
                opts=child,
            )
        pod_identity_role(
            f"{name}-agent",
            config,
            cluster.name,
            NAMESPACE,
            SERVICE_ACCOUNT,
            agent_policy(config),
            self,
        )
        self.register_outputs({})


def tag_pattern(namespace: str, container: str) -> str:
    """The tail input's tags: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log.
    Pod, namespace and container names are DNS labels: none has an underscore."""
    return rf"^kube\.var\.log\.containers\.[^_]+_{namespace}_{container}{CONTAINER_ID}"


def outputs(config: ClusterLayerConfig) -> str:
    """Fluent Bit's [OUTPUT] sections: each purpose's lines, by their tag, to its group."""
    namespace = config.app_namespace
    matches = {
        "service": tag_pattern(namespace, SERVICE_CONTAINER),
        # Any other container: not the service's name followed by the id.
        "jobs": tag_pattern(namespace, f"(?!{SERVICE_CONTAINER}{CONTAINER_ID})[^_]+"),
        "platform": tag_pattern(f"(?!{namespace}_)[^_]+", "[^_]+"),
    }
    sections = []
    for purpose, match in matches.items():
        settings = {
            "Name": "cloudwatch_logs",
            "Match_Regex": match,
            "region": config.region,
            "log_group_name": log_group_name(config, purpose),
            # One stream per container; the prefix names streams the template cannot.
            "log_stream_template": "$kubernetes['pod_name'].$kubernetes['container_name']",
            "log_stream_prefix": "unnamed-",
            # The groups exist (AWS layer); making or re-timing them is not the agent's job.
            "auto_create_group": "Off",
        }
        lines = [f"    {key:<20} {value}" for key, value in settings.items()]
        sections.append("\n".join(["[OUTPUT]", *lines]))
    return "\n".join(sections) + "\n"


def agent_values(config: ClusterLayerConfig) -> dict:
    """The chart's values: its own outputs off, ours (outputs()) in their place."""
    return {
        # The DaemonSet's name: `kubectl -n logging logs ds/fluent-bit`.
        "fullnameOverride": SERVICE_ACCOUNT,
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "filter": {
            "mergeLog": "On",
            "mergeLogKey": MERGED_KEY,
            # A line parsed into fields is not kept a second time as text (half the bytes).
            "keepLog": "Off",
        },
        **{
            output: {"enabled": False}
            for output in (
                "cloudWatch",
                "cloudWatchLogs",
                "firehose",
                "kinesis",
                "kinesis_streams",
                "elasticsearch",
                "s3",
                "opensearch",
            )
        },
        "additionalOutputs": outputs(config),
        # On every node, tainted ones too, and among the last pods a full node evicts.
        "tolerations": [{"operator": "Exists"}],
        "priorityClassName": "system-node-critical",
    }


class LogShipping(pulumi.ComponentResource):
    """The cluster layer's part: the agent."""

    release: kubernetes.helm.v3.Release

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "LogShipping"), name, None, opts)
        self.release = helm_charts.release(
            f"{name}-agent",
            helm_charts.AWS_FOR_FLUENT_BIT,
            NAMESPACE,
            agent_values(config),
            cluster.provider,
            self,
        )
        self.register_outputs({})
