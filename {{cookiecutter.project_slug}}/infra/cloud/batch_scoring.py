"""Batch scoring in the cluster (docs/batch.md): an S3 bucket for input and results, and a
Kubernetes Indexed Job that scores the input's files with the service's own image and
model (service/<package>/batch/shards.py).

    aws s3 cp rows.parquet s3://<bucket>/input/
    kubectl -n <namespace> create job --from=cronjob/<project>-batch batch-now

The job is a CronJob's template: suspended unless the stack sets `batch.schedule`, and
started by hand from it as above. Each index scores its share of the files and skips
those already scored, so a retry or the next run does only what is left. Its role, bound
by EKS Pod Identity to its service account alone, may list the bucket and read `input/`,
read and write `output/`, and nothing else.
"""

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import iam
from .app_namespace import AppNamespace
from .buckets import harden_bucket
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .drift_cron_job import BENTO_MODEL_STORE, package_name
from .encryption import rotating_key
from .naming import component_type, tags
from .network_policies import outbound_only
from .pod_identity import pod_identity_role
from .pod_security import RESTRICTED_CONTAINER
from .service_pod import IMAGE_USER_POD, PACKAGE_JOB_ENV
from .stack_config import AwsLayerConfig, ClusterLayerConfig, LayerConfig

INPUT_PREFIX = "input/"
OUTPUT_PREFIX = "output/"
CONTAINER = "batch"
# Replaced input and output versions are kept this long: a rerun's overwrite is undoable.
NONCURRENT_VERSION_DAYS = 30
# What the job's exit code 2 means (shards.py): an input file that is not a table. Retrying
# cannot fix it, so that index fails at once; any other failure is retried.
UNREADABLE_INPUT_EXIT_CODE = 2
RETRIES_PER_INDEX = 2
RUN_DEADLINE_SECONDS = 6 * 3600
# EKS Pod Identity's agent, on every node's link-local address: where the SDK gets keys.
POD_IDENTITY_AGENT = {"cidr": "169.254.170.23/32", "port": 80}
HTTPS = 443
BUCKET_NAME_LENGTH = 29


def service_account(config: LayerConfig) -> str:
    return f"{config.project}-batch"


def batch_labels(config: LayerConfig) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": service_account(config),
        "app.kubernetes.io/part-of": config.project,
    }


def job_policy(
    bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str], region: str
) -> pulumi.Output[str]:
    """List the two prefixes; read the input; read, write and delete results (a failed
    shard deletes what it wrote); use the bucket's key through S3 only."""
    objects = pulumi.Output.from_input(bucket_arn).apply(
        lambda arn: {"input": f"{arn}/{INPUT_PREFIX}*", "output": f"{arn}/{OUTPUT_PREFIX}*"}
    )
    return iam.policy_json(
        iam.allow(
            ["s3:ListBucket"],
            [bucket_arn],
            StringLike={"s3:prefix": [f"{INPUT_PREFIX}*", f"{OUTPUT_PREFIX}*"]},
        ),
        iam.allow(["s3:GetObject"], [objects["input"], objects["output"]]),
        iam.allow(
            ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"], [objects["output"]]
        ),
        iam.allow(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [key_arn],
            StringEquals={"kms:ViaService": f"s3.{region}.amazonaws.com"},
        ),
    )


class BatchScoringAws(pulumi.ComponentResource):
    """The AWS layer's part: the bucket, its key, and the job's role."""

    bucket_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "BatchScoringAws"), name, None, opts)
        key = rotating_key(f"{name}-key", config, "Encrypts batch input and results", self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            # S3 adds 26 characters to a prefix of at most 37: the name is then unique.
            bucket_prefix=f"{config.name[:BUCKET_NAME_LENGTH].rstrip('-')}-batch-",
            # Results are data: `pulumi destroy` stops at a bucket that still holds some.
            force_destroy=False,
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        harden_bucket(
            name, bucket, self, NONCURRENT_VERSION_DAYS, "expire-old-versions", key_arn=key.arn
        )
        pod_identity_role(
            f"{name}-job",
            config,
            cluster.name,
            config.app_namespace,
            service_account(config),
            job_policy(bucket.arn, key.arn, config.region),
            self,
        )
        self.bucket_name = bucket.bucket
        self.register_outputs({"bucket_name": self.bucket_name})


def job_arguments(
    config: ClusterLayerConfig, bucket: pulumi.Input[str]
) -> pulumi.Output[list[str]]:
    return pulumi.Output.from_input(bucket).apply(
        lambda name: [
            "--input",
            f"s3://{name}/{INPUT_PREFIX}",
            "--output",
            f"s3://{name}/{OUTPUT_PREFIX}",
            "--count",
            str(config.batch.shards),
            "--model-store",
            BENTO_MODEL_STORE,
        ]
    )


def batch_pod(config: ClusterLayerConfig, image: str, bucket: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "metadata": {"labels": batch_labels(config)},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": service_account(config),
            # The Kubernetes API is not the job's business; Pod Identity mounts its own token.
            "automountServiceAccountToken": False,
            "securityContext": IMAGE_USER_POD,
            "containers": [
                {
                    "name": CONTAINER,
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    # Replaces the image's entrypoint, which would start the server.
                    "command": ["python", "-m", f"{package_name()}.batch.shards"],
                    "args": job_arguments(config, bucket),
                    "env": [
                        {"name": "AWS_REGION", "value": config.region},
                        *PACKAGE_JOB_ENV,
                    ],
                    # Two CPUs: ONNX Runtime takes as many threads as the limit allows.
                    "resources": {
                        "requests": {"cpu": "2", "memory": "1Gi"},
                        "limits": {"cpu": "2", "memory": "2Gi"},
                    },
                    "securityContext": RESTRICTED_CONTAINER,
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        },
    }


def job_spec(config: ClusterLayerConfig, image: str, bucket: pulumi.Input[str]) -> dict[str, Any]:
    """An Indexed Job: index i of `shards` scores files i, i+shards, ...; each index is
    retried on its own, except when its input cannot be read at all."""
    return {
        "completionMode": "Indexed",
        "completions": config.batch.shards,
        "parallelism": config.batch.parallelism,
        "backoffLimitPerIndex": RETRIES_PER_INDEX,
        "podFailurePolicy": {
            "rules": [
                {
                    "action": "FailIndex",
                    "onExitCodes": {
                        "containerName": CONTAINER,
                        "operator": "In",
                        "values": [UNREADABLE_INPUT_EXIT_CODE],
                    },
                }
            ]
        },
        "activeDeadlineSeconds": RUN_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": 7 * 24 * 3600,
        "template": batch_pod(config, image, bucket),
    }


class BatchJob(pulumi.ComponentResource):
    """The cluster layer's part: the job's service account, its CronJob and its network."""

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        image: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "BatchJob"), name, None, opts)
        options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        metadata = {
            "name": service_account(config),
            "namespace": namespace.name,
            "labels": batch_labels(config),
        }
        kubernetes.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=metadata,
            automount_service_account_token=False,
            opts=options,
        )
        bucket = cluster.output("batchBucket")
        schedule = config.batch.schedule
        kubernetes.batch.v1.CronJob(
            f"{name}-schedule",
            metadata=metadata,
            spec={
                # A schedule is required even when suspended: this one never fires then.
                "schedule": schedule or "0 0 1 1 *",
                "suspend": schedule is None,
                "timeZone": "Etc/UTC",
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {"spec": job_spec(config, image, bucket)},
            },
            opts=pulumi.ResourceOptions.merge(
                options,
                # Delivery owns the image, as it owns the Rollout's.
                pulumi.ResourceOptions(
                    ignore_changes=["spec.jobTemplate.spec.template.spec.containers[0].image"]
                ),
            ),
        )
        # Out to S3 (HTTPS, through the VPC's gateway endpoint; nothing inside the VPC), to
        # the node's Pod Identity agent and to DNS; nothing calls in.
        vpc_cidr = cluster.output("vpcCidr")
        outbound_only(
            f"{name}-network",
            metadata,
            batch_labels(config),
            [
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [vpc_cidr]}}],
                    "ports": [{"protocol": "TCP", "port": HTTPS}],
                },
                {
                    "to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT["cidr"]}}],
                    "ports": [{"protocol": "TCP", "port": POD_IDENTITY_AGENT["port"]}],
                },
            ],
            options,
        )
        self.register_outputs({})
