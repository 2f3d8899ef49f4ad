"""One environment's cluster layer, applied by CI from inside the VPC (or by a person in
dev through `publicAccessCidrs`): the controllers, then the app namespace and the
service. Everything the service declares depends on the namespace, and the namespace on
every controller whose CRDs, webhooks or nodes the service needs: created after them,
destroyed before them (so the load balancer controller still runs to remove the ALB)."""

import pulumi

from cloud.app_namespace import AppNamespace
from cloud.argo_rollouts import ArgoRollouts
from cloud.batch_scoring import BatchJob
from cloud.cluster_connection import ClusterConnection
from cloud.drift_cron_job import DriftJob, drift_job_labels
from cloud.github_deploy import DeployerRole
from cloud.karpenter import Karpenter
from cloud.load_balancer_controller import LoadBalancerController
from cloud.log_shipping import LogShipping
from cloud.prediction_storage import PredictionStorage
from cloud.prometheus_stack import Monitoring, MonitoringStack
from cloud.release_record import parameter_name, released_image
from cloud.secrets import Secrets, SecretsOperator
from cloud.service_workload import ServiceWorkload
from cloud.stack_config import ClusterLayerConfig
from cloud.trace_collector import TraceCollector

PLAIN_HTTP = (
    "the service's load balancer listens on plain HTTP (no domainName and certificateArn): "
    "API keys cross the VPC in clear text. Set both for HTTPS (docs/delivery.md)."
)


def build(config: ClusterLayerConfig) -> None:
    # Read first: a record that is not an image stops the program before anything changes.
    image = released_image(config)
    cluster = ClusterConnection("cluster", config)
    karpenter = Karpenter("karpenter", config, cluster)
    load_balancer_controller = LoadBalancerController("load-balancer-controller", config, cluster)
    argo_rollouts = ArgoRollouts("argo-rollouts", config, cluster)
    secrets_operator = SecretsOperator("secrets-operator", config, cluster)
    monitoring_stack = MonitoringStack(
        "monitoring-stack", config, cluster, pushers=drift_job_labels(config)
    )
    LogShipping("logs", config, cluster)
    # The service is made to send spans only once the collector is ready to take them.
    tracing = [TraceCollector("tracing", config, cluster).release] if config.tracing.enabled else []
    namespace = AppNamespace(
        "app",
        config,
        cluster,
        controllers=[
            karpenter.node_pool,
            load_balancer_controller.release,
            argo_rollouts.release,
            secrets_operator.release,
            monitoring_stack.release,
            *tracing,
        ],
    )
    secrets = Secrets("secrets", config, cluster, namespace)
    monitoring = Monitoring("monitoring", config, cluster, namespace)
    prediction_storage = PredictionStorage("prediction-storage", config, cluster, namespace)
    DeployerRole("github-deploy", config, cluster, namespace)
    if image:
        workload = ServiceWorkload(
            "service",
            config,
            cluster,
            namespace,
            image,
            secrets.synced,
            prediction_storage.claim_name,
        )
        DriftJob(
            "drift-job",
            config,
            cluster,
            namespace,
            image,
            prediction_storage.claim_name,
            monitoring.pushgateway_url,
        )
        BatchJob("batch", config, cluster, namespace, image)
        pulumi.export("serviceUrl", workload.url)
    else:
        # Before the first release the registry is empty: the first delivery records its
        # image and applies this layer again (docs/delivery.md, "The first release").
        record = parameter_name(config.project, config.environment)
        pulumi.log.info(
            f"{record} records no release yet: the service's objects come with the first delivery"
        )

    if not config.certificate_arn:
        pulumi.log.warn(PLAIN_HTTP)
    pulumi.export("appNamespace", namespace.name)
    pulumi.export("apiKeysKubernetesSecret", secrets.synced.api_keys)
    pulumi.export("grafanaAdminPassword", monitoring_stack.grafana_admin_password)
