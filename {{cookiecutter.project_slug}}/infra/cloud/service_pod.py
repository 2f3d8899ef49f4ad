"""The service's pod: probes, limits, a locked-down container, and the timing that lets a
pod leave the load balancer before it stops.

Shutdown, in order: Kubernetes marks the pod terminating and, at the same time, the load
balancer controller starts deregistering it. The preStop sleep keeps the pod serving
until the ALB has stopped sending (deregistration delay), then SIGTERM lets in-flight
requests finish (at most the request timeout) before the grace period runs out.
"""

from typing import Any

from .stack_config import StackConfig

PORT = 3000
REQUEST_TIMEOUT_SECONDS = 10
ALB_DEREGISTRATION_DELAY_SECONDS = 30
PRESTOP_SLEEP_SECONDS = ALB_DEREGISTRATION_DELAY_SECONDS + 5
TERMINATION_GRACE_SECONDS = PRESTOP_SLEEP_SECONDS + REQUEST_TIMEOUT_SECONDS + 15
# CPUs per service pod, set here only: the container's CPU request and limit, and the
# server's processes, one per CPU, each running inference on one thread. (Without the
# variables the service derives the same count from the cgroup quota the limit becomes.)
# A whole number: a fractional limit throttles the workers in turn, which costs p99.
SERVICE_CPUS = 2
INFERENCE_THREADS_PER_WORKER = 1
# The user BentoML's images run as.
RUN_AS_USER = 1034

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def labels(config: StackConfig) -> dict[str, str]:
    return {"app.kubernetes.io/name": config.project, "app.kubernetes.io/part-of": config.project}


def secret_env(name: str, secret_name: str, optional: bool = False) -> dict[str, Any]:
    reference = {"name": secret_name, "key": name, **({"optional": True} if optional else {})}
    return {"name": name, "valueFrom": {"secretKeyRef": reference}}


def tuning_env() -> list[dict[str, str]]:
    """The service settings that match its processes and threads to SERVICE_CPUS."""
    return [
        {"name": "SERVICE_WORKERS", "value": str(SERVICE_CPUS // INFERENCE_THREADS_PER_WORKER)},
        {"name": "SERVICE_INFERENCE_THREADS", "value": str(INFERENCE_THREADS_PER_WORKER)},
    ]


def pod_template(config: StackConfig, image: str, api_keys_secret: str) -> dict[str, Any]:
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
                    "name": "service",
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"name": "http", "containerPort": PORT}],
                    "env": [
                        secret_env("SERVICE_API_KEY", api_keys_secret),
                        secret_env("SERVICE_API_KEY_PREVIOUS", api_keys_secret, optional=True),
                        {
                            "name": "SERVICE_REQUEST_TIMEOUT_SECONDS",
                            "value": str(REQUEST_TIMEOUT_SECONDS),
                        },
                        *tuning_env(),
                        {"name": "BENTOML_DO_NOT_TRACK", "value": "true"},
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
                    "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
                }
            ],
            # The root filesystem is read-only; BentoML writes temporary files here.
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        },
    }
