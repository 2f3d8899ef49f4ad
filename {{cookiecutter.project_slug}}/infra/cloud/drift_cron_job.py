"""The drift job in the cluster: every hour, a CronJob runs the package's drift job from
the service's own image (which holds the served model and its reference profile). It
first deletes what the stack's prediction log retention no longer allows, from every
pod's folder on the shared volume, then reads the last day of the log and pushes its
verdict to the Pushgateway, where the alert rules and the dashboard find it.

    kubectl -n <namespace> create job --from=cronjob/<project>-drift-job drift-now
    kubectl -n <namespace> logs -f job/drift-now

Delivery changes the image (`kubectl set image`), as it does the Rollout's; Pulumi
ignores that field so the two never fight.
"""

import tomllib
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .naming import component_type
from .network_policies import outbound_only
from .prometheus_stack import NAMESPACE as MONITORING_NAMESPACE
from .prometheus_stack import PUSHGATEWAY_POD_LABELS, PUSHGATEWAY_PORT
from .service_pod import (
    IMAGE_USER_POD,
    PACKAGE_JOB_ENV,
    PREDICTION_LOG_MOUNT,
    RESTRICTED_CONTAINER,
)
from .stack_config import ClusterLayerConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTAINER = "drift-job"
# Off the hour, when other hourly jobs start. Two missed runs raise ModelDriftJobStale.
SCHEDULE = "17 * * * *"
WINDOW_HOURS = 24
RUN_DEADLINE_SECONDS = 30 * 60
# The bento's model store inside the image BentoML's Dockerfile builds (BENTO_PATH).
BENTO_MODEL_STORE = "/home/bentoml/bento/models"
OUTPUT = "/tmp/drift"


def package_name() -> str:
    """The service's Python package, as pyproject.toml builds it into the image."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return pyproject["tool"]["uv"]["build-backend"]["module-name"]


def drift_job_labels(config: ClusterLayerConfig) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": f"{config.project}-drift-job",
        "app.kubernetes.io/part-of": config.project,
    }


def drift_pod(
    config: ClusterLayerConfig, image: str, claim: str, pushgateway_url: str
) -> dict[str, Any]:
    arguments = ["--log-dir", PREDICTION_LOG_MOUNT, "--output", OUTPUT]
    arguments += ["--window-hours", str(WINDOW_HOURS), "--model-store", BENTO_MODEL_STORE]
    arguments += ["--pushgateway", pushgateway_url, "--namespace", config.app_namespace]
    retention = config.prediction_log
    arguments += ["--retention-days", str(retention.retention_days)]
    arguments += ["--retention-gib", str(retention.max_gib)]
    return {
        "metadata": {"labels": drift_job_labels(config)},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": IMAGE_USER_POD,
            "containers": [
                {
                    "name": CONTAINER,
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    # Replaces the image's entrypoint, which would start the server.
                    "command": ["python", "-m", f"{package_name()}.monitoring.drift_job"],
                    "args": arguments,
                    "env": PACKAGE_JOB_ENV,
                    "resources": {
                        "requests": {"cpu": "250m", "memory": "512Mi"},
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    },
                    "securityContext": RESTRICTED_CONTAINER,
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp"},
                        # Writable: the retention deletes old files.
                        {"name": "prediction-log", "mountPath": PREDICTION_LOG_MOUNT},
                    ],
                }
            ],
            "volumes": [
                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                {
                    "name": "prediction-log",
                    "persistentVolumeClaim": {"claimName": claim},
                },
            ],
        },
    }


class DriftJob(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        image: str,
        prediction_log_claim: str,
        pushgateway_url: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "DriftJob"), name, None, opts)
        metadata = {
            "name": f"{config.project}-drift-job",
            "namespace": namespace.name,
            "labels": drift_job_labels(config),
        }
        kubernetes.batch.v1.CronJob(
            f"{name}-schedule",
            metadata=metadata,
            spec={
                "schedule": SCHEDULE,
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 1,
                        "activeDeadlineSeconds": RUN_DEADLINE_SECONDS,
                        "ttlSecondsAfterFinished": 24 * 3600,
                        "template": drift_pod(config, image, prediction_log_claim, pushgateway_url),
                    }
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=cluster.provider,
                depends_on=[namespace],
                # Delivery owns the image, as it owns the Rollout's.
                ignore_changes=["spec.jobTemplate.spec.template.spec.containers[0].image"],
            ),
        )
        # It calls the Pushgateway and DNS; nothing calls it.
        outbound_only(
            f"{name}-network",
            metadata,
            drift_job_labels(config),
            [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}
                            },
                            "podSelector": {"matchLabels": PUSHGATEWAY_POD_LABELS},
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": PUSHGATEWAY_PORT}],
                }
            ],
            pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[namespace]),
        )
        self.register_outputs({})
