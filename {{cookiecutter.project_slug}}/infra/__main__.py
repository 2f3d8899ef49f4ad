"""The platform for one stack: read and validate config, build components, export
what CI/CD and people need. Nothing else happens here."""

import pulumi

from cloud import stack_config
from cloud.app_namespace import AppNamespace
from cloud.argo_rollouts import ArgoRollouts
from cloud.cluster import Cluster
from cloud.drift_job import DriftJob
from cloud.github_deploy import GitHubDeploy
from cloud.karpenter import Karpenter
from cloud.load_balancer_controller import LoadBalancerController
from cloud.monitoring import Monitoring
from cloud.network import Network
from cloud.prediction_storage import PredictionStorage
from cloud.registry import Registry
from cloud.secrets import Secrets
from cloud.service_workload import ServiceWorkload

config = stack_config.load()

network = Network("network", config)
registry = Registry("registry", config)
cluster = Cluster("cluster", config, network)
namespace = AppNamespace("app", config, cluster)
Karpenter("karpenter", config, cluster)
secrets = Secrets("secrets", config, cluster, namespace)
LoadBalancerController("load-balancer-controller", config, cluster, network)
ArgoRollouts("argo-rollouts", config, cluster)
monitoring = Monitoring("monitoring", config, cluster, namespace)
prediction_storage = PredictionStorage("prediction-storage", config, network, cluster, namespace)
deploy = GitHubDeploy("github-deploy", config, registry, cluster, namespace)
if config.service_image:
    workload = ServiceWorkload(
        "service",
        config,
        cluster,
        namespace,
        config.service_image,
        secrets.kubernetes_secret_name,
        prediction_storage.claim_name,
    )
    DriftJob(
        "drift-job",
        config,
        cluster,
        namespace,
        config.service_image,
        prediction_storage.claim_name,
        monitoring.pushgateway_url,
    )
    pulumi.export("serviceUrl", workload.url)
else:
    # The repository is empty on the first `pulumi up`: see README, "First deployment".
    pulumi.log.info(
        "serviceImage is not set: the service's Kubernetes objects come after the first image"
    )

pulumi.export("region", config.region)
pulumi.export("repositoryUrl", registry.repository_url)
pulumi.export("clusterName", cluster.name)
pulumi.export("appNamespace", namespace.name)
pulumi.export("apiKeysSecretArn", secrets.secret_arn)
pulumi.export("apiKeysKubernetesSecret", secrets.kubernetes_secret_name)
pulumi.export("deployRoleArn", deploy.role_arn)
pulumi.export("githubEnvironment", config.github_deploy_environment)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("grafanaAdminPassword", monitoring.grafana_admin_password)
