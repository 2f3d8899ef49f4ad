"""The service's pod: probes, limits, a locked-down container, and the timing that lets a
pod leave the load balancer before it stops.

Shutdown, in order: Kubernetes marks the pod terminating and, at the same time, the load
balancer controller starts deregistering it. The preStop sleep keeps the pod serving
until the ALB has stopped sending (deregistration delay). SIGTERM then makes the service
report not ready while it still serves for the drain, after which it stops accepting and
lets in-flight requests finish (at most the request timeout), all within the grace period.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .pod_security import RESTRICTED_CONTAINER
from .trace_endpoint import service_tracing_env

# Only for annotations: the load-test harness reads this module's timings, and must not
# import Pulumi (stack_config does) to do so.
if TYPE_CHECKING:
    from .secrets import SyncedSecrets
    from .stack_config import ClusterLayerConfig

PORT = 3000
REQUEST_TIMEOUT_SECONDS = 10
ALB_DEREGISTRATION_DELAY_SECONDS = 30
# The ALB reuses an idle connection for up to this long; the service must keep it open
# longer, or the ALB sends a request into a connection the service just closed (502).
ALB_IDLE_TIMEOUT_SECONDS = 60
KEEP_ALIVE_SECONDS = ALB_IDLE_TIMEOUT_SECONDS + 15
PRESTOP_SLEEP_SECONDS = ALB_DEREGISTRATION_DELAY_SECONDS + 5
SHUTDOWN_DRAIN_SECONDS = 5
TERMINATION_GRACE_SECONDS = (
    PRESTOP_SLEEP_SECONDS + SHUTDOWN_DRAIN_SECONDS + REQUEST_TIMEOUT_SECONDS + 10
)
# The image's entrypoint runs `bentoml serve <these> <bento>`. uvicorn's options have no
# environment variables, so they are arguments.
SERVE_ARGUMENTS = [
    "serve",
    f"--timeout-keep-alive={KEEP_ALIVE_SECONDS}",
    f"--timeout-graceful-shutdown={REQUEST_TIMEOUT_SECONDS}",
]
# CPUs per service pod, set here only: the container's CPU request and limit, and the
# server's processes, one per CPU, each running inference on one thread. (Without the
# variables the service derives the same count from the cgroup quota the limit becomes.)
# A whole number: a fractional limit throttles the workers in turn, which costs p99.
SERVICE_CPUS = 2
INFERENCE_THREADS_PER_WORKER = 1
# The service's container; log shipping routes its lines by this name.
SERVICE_CONTAINER = "service"
# The user BentoML's images run as.
RUN_AS_USER = 1034
# Where the shared prediction log volume is mounted (infra/cloud/prediction_storage.py).
PREDICTION_LOG_MOUNT = "/var/log/predictions"
# Where the keys file is mounted. A secret volume, not an environment variable: the
# kubelet rewrites its files when the secret changes, and the service re-reads them.
API_KEYS_MOUNT = "/etc/service-api-keys"
KEYS_FILE = "api-keys.json"

# The pod's half for the package's own jobs from the image (drift, batch): its user.
IMAGE_USER_POD = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "runAsGroup": RUN_AS_USER,
    "seccompProfile": {"type": "RuntimeDefault"},
}
# Those jobs run the image's Python, not its server: BentoML neither calls home nor
# writes anywhere but the writable /tmp.
PACKAGE_JOB_ENV = [
    {"name": "BENTOML_DO_NOT_TRACK", "value": "true"},
    {"name": "BENTOML_HOME", "value": "/tmp/bentoml"},
]


def labels(config: ClusterLayerConfig) -> dict[str, str]:
    return {"app.kubernetes.io/name": config.project, "app.kubernetes.io/part-of": config.project}


def tuning_env() -> list[dict[str, str]]:
    """The service settings that match its processes and threads to SERVICE_CPUS."""
    return [
        {"name": "SERVICE_WORKERS", "value": str(SERVICE_CPUS // INFERENCE_THREADS_PER_WORKER)},
        {"name": "SERVICE_INFERENCE_THREADS", "value": str(INFERENCE_THREADS_PER_WORKER)},
    ]


def pod_name_env() -> dict[str, Any]:
    return {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}


def pod_template(
    config: ClusterLayerConfig, image: str, secrets: SyncedSecrets, prediction_log_claim: str
) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/readyz", "port": "http"}}
    return {
        "metadata": {"labels": labels(config)},
        "spec": {
            "serviceAccountName": config.project,
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": RUN_AS_USER,
                "runAsGroup": RUN_AS_USER,
                "fsGroup": RUN_AS_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": labels(config)},
                }
            ],
            "containers": [
                {
                    "name": SERVICE_CONTAINER,
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "args": SERVE_ARGUMENTS,
                    "ports": [{"name": "http", "containerPort": PORT}],
                    # The secrets service_secrets.toml declares, SERVICE_<NAME> each. Optional:
                    # the service itself refuses to start while a declared one is missing,
                    # naming it, which says more than a pod stuck on a missing Kubernetes
                    # secret (External Secrets may make none of an empty document).
                    "envFrom": [{"secretRef": {"name": secrets.service_secrets, "optional": True}}],
                    "env": [
                        {"name": "SERVICE_API_KEYS_FILE", "value": f"{API_KEYS_MOUNT}/{KEYS_FILE}"},
                        {
                            "name": "SERVICE_REQUEST_TIMEOUT_SECONDS",
                            "value": str(REQUEST_TIMEOUT_SECONDS),
                        },
                        {
                            "name": "SERVICE_SHUTDOWN_DRAIN_SECONDS",
                            "value": str(SHUTDOWN_DRAIN_SECONDS),
                        },
                        *tuning_env(),
                        *service_tracing_env(config),
                        {"name": "BENTOML_DO_NOT_TRACK", "value": "true"},
                        # BentoML writes its metrics files under its home; the image's
                        # (/home/bentoml) is on the read-only root filesystem.
                        {"name": "BENTOML_HOME", "value": "/tmp/bentoml"},
                        # Each pod logs predictions to its own folder of the shared volume,
                        # so no two pods ever append to one file.
                        pod_name_env(),
                        {
                            "name": "SERVICE_PREDICTION_LOG_DIR",
                            "value": f"{PREDICTION_LOG_MOUNT}/$(POD_NAME)",
                        },
                    ],
                    # CPU request = limit: the scheduler reserves every CPU the workers use.
                    "resources": {
                        "requests": {"cpu": str(SERVICE_CPUS), "memory": "512Mi"},
                        "limits": {"cpu": str(SERVICE_CPUS), "memory": "1Gi"},
                    },
                    # Model loading and warm-up: up to two minutes before liveness counts.
                    "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 60},
                    "readinessProbe": {**probe, "periodSeconds": 5, "failureThreshold": 2},
                    "livenessProbe": {
                        "httpGet": {"path": "/livez", "port": "http"},
                        "periodSeconds": 10,
                        "failureThreshold": 3,
                    },
                    "lifecycle": {"preStop": {"sleep": {"seconds": PRESTOP_SLEEP_SECONDS}}},
                    "securityContext": RESTRICTED_CONTAINER,
                    "volumeMounts": [
                        {"name": "tmp", "mountPath": "/tmp"},
                        {"name": "prediction-log", "mountPath": PREDICTION_LOG_MOUNT},
                        {"name": "api-keys", "mountPath": API_KEYS_MOUNT, "readOnly": True},
                    ],
                }
            ],
            "volumes": [
                # The root filesystem is read-only; BentoML writes temporary files here.
                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                {
                    "name": "prediction-log",
                    "persistentVolumeClaim": {"claimName": prediction_log_claim},
                },
                # Readable by the service's group (fsGroup) only.
                {
                    "name": "api-keys",
                    "secret": {"secretName": secrets.api_keys, "defaultMode": 0o440},
                },
            ],
        },
    }
