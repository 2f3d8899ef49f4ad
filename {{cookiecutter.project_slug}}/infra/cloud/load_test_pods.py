"""Pods that run the load tests of loadtests/ in the cluster: the canary gate's Job and
the distributed run's master and workers. The files arrive through one ConfigMap."""

from pathlib import Path
from typing import Any

from .pod_security import RESTRICTED_CONTAINER
from .secrets import CANARY_KEY_VARIABLE
from .stack_config import ClusterLayerConfig

LOADTESTS = Path(__file__).resolve().parents[2] / "loadtests"
MOUNT = "/loadtests"
# ConfigMap key -> path under MOUNT (keys cannot contain "/").
FILES = {
    "locustfile.py": "locustfile.py",
    "service_level.py": "service_level.py",
    "request_mix.py": "request_mix.py",
    "slo.toml": "slo.toml",
    **{
        f"{shape}.py": f"shapes/{shape}.py"
        for shape in ("smoke", "canary_gate", "canary_analysis", "soak", "stress")
    },
}
LOCUST_IMAGE = "locustio/locust:2.47.0"
LOCUST_USER = 1000
# Port on which a distributed run's master listens for its workers.
MASTER_PORT = 5557
# Public image pinned by its version tag: mirror it into your registry to pin a digest.
IMAGE_DIGEST_SKIP = {"checkov.io/skip1": "CKV_K8S_43=public image pinned by version tag"}


def load_test_labels(config: ClusterLayerConfig) -> dict[str, str]:
    """Every load-test pod's, whatever its role (the gate, the analysis load, a
    distributed run's master and workers): the NetworkPolicies select them all by it."""
    return {"app.kubernetes.io/name": f"{config.project}-load-test"}


def files_name(config: ClusterLayerConfig) -> str:
    return f"{config.project}-load-test"


def file_contents() -> dict[str, str]:
    return {key: (LOADTESTS / path).read_text() for key, path in FILES.items()}


def locust_arguments(shape: str, *extra: str) -> list[str]:
    locustfiles = f"{MOUNT}/locustfile.py,{MOUNT}/shapes/{shape}.py"
    return [
        "-f",
        locustfiles,
        "--headless",
        "--report-dir",
        "/tmp/report",
        "--only-summary",
        *extra,
    ]


def locust_pod(
    config: ClusterLayerConfig,
    role: str,
    arguments: list[str],
    canary_key_secret: str,
    environment: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A pod template running Locust with `arguments`, as restricted as the service's."""
    return {
        "metadata": {"labels": {**load_test_labels(config), "app.kubernetes.io/component": role}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": LOCUST_USER,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "locust",
                    "image": LOCUST_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "args": arguments,
                    "env": [
                        {
                            "name": CANARY_KEY_VARIABLE,
                            "valueFrom": {
                                "secretKeyRef": {
                                    "name": canary_key_secret,
                                    "key": CANARY_KEY_VARIABLE,
                                }
                            },
                        },
                        {"name": "LOCUST_SLO_FILE", "value": f"{MOUNT}/slo.toml"},
                        *({"name": k, "value": v} for k, v in (environment or {}).items()),
                    ],
                    "resources": {
                        "requests": {"cpu": "500m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "512Mi"},
                    },
                    "securityContext": RESTRICTED_CONTAINER,
                    "volumeMounts": [
                        {"name": "loadtests", "mountPath": MOUNT, "readOnly": True},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                }
            ],
            "volumes": [
                {
                    "name": "loadtests",
                    "configMap": {
                        "name": files_name(config),
                        "items": [{"key": key, "path": path} for key, path in FILES.items()],
                    },
                },
                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
            ],
        },
    }
