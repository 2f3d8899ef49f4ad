"""A load test bigger than one machine: the same locustfile, one Locust master and N
workers, declared as suspended CronJobs that are templates for runs, started by hand:

    kubectl -n <namespace> create job --from=cronjob/<project>-load-test-master run-1-master
    kubectl -n <namespace> create job --from=cronjob/<project>-load-test-workers run-1-workers
    kubectl -n <namespace> logs -f job/run-1-master

The master runs the stress shape against the stable Service, judges the run by
loadtests/slo.toml, and exits 1 if an SLO is missed.
"""

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .cluster_connection import ClusterConnection
from .load_test_pods import (
    IMAGE_DIGEST_SKIP,
    MASTER_PORT,
    load_test_labels,
    locust_arguments,
    locust_pod,
)
from .naming import SKIP_AWAIT, component_type
from .stack_config import ClusterLayerConfig

# Never on a schedule: the CronJob only holds the Job template.
NEVER = "0 0 1 1 *"
RUN_DEADLINE_SECONDS = 3 * 3600


def run_template(pod: dict, parallelism: int) -> dict:
    return {
        "schedule": NEVER,
        "suspend": True,
        "jobTemplate": {
            "spec": {
                "backoffLimit": 0,
                "parallelism": parallelism,
                "completions": parallelism,
                "activeDeadlineSeconds": RUN_DEADLINE_SECONDS,
                "ttlSecondsAfterFinished": 24 * 3600,
                "template": pod,
            }
        },
    }


class DistributedLoadTest(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        target_service: str,
        canary_key_secret: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "DistributedLoadTest"), name, None, opts)
        options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        master = f"{config.project}-load-test-master"
        workers = config.load_test_workers
        target = f"http://{target_service}.{namespace.name}.svc"

        kubernetes.core.v1.Service(
            f"{name}-master",
            # Its endpoints exist only while a run does.
            metadata={"name": master, "namespace": namespace.name, "annotations": SKIP_AWAIT},
            spec={
                "selector": {**load_test_labels(config), "app.kubernetes.io/component": "master"},
                "ports": [{"name": "workers", "port": MASTER_PORT, "targetPort": MASTER_PORT}],
            },
            opts=options,
        )
        master_arguments = locust_arguments(
            "stress", "--host", target, "--master", "--expect-workers", str(workers)
        )
        worker_arguments = locust_arguments("stress", "--worker", "--master-host", master)
        for role, arguments, parallelism in (
            ("master", master_arguments, 1),
            ("workers", worker_arguments, workers),
        ):
            kubernetes.batch.v1.CronJob(
                f"{name}-{role}",
                metadata={
                    "name": f"{config.project}-load-test-{role}",
                    "namespace": namespace.name,
                    "annotations": IMAGE_DIGEST_SKIP,
                },
                spec=run_template(
                    locust_pod(config, role.removesuffix("s"), arguments, canary_key_secret),
                    parallelism,
                ),
                opts=options,
            )
        self.register_outputs({})
