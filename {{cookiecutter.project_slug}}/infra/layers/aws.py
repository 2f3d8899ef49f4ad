"""One environment's AWS layer, from a laptop (AWS APIs only, never the Kubernetes API):
network, registry, cluster, the controllers' roles, secrets, storage, log groups,
delivery's role and the in-VPC CI runner. Its outputs are what the cluster layer and
delivery read."""

import pulumi

from cloud.account_bootstrap import AccountBootstrap
from cloud.argo_rollouts import ArgoRolloutsAws
from cloud.batch_scoring import BatchScoringAws
from cloud.ci_runner import CiRunner
from cloud.cluster import Cluster
from cloud.github_deploy import GitHubDeploy
from cloud.karpenter import KarpenterAws
from cloud.load_balancer_controller import LoadBalancerControllerAws
from cloud.log_shipping import LogShippingAws
from cloud.network import Network
from cloud.prediction_storage import PredictionStorageAws
from cloud.registry import Registry
from cloud.release_record import ReleaseRecord
from cloud.secrets import SecretsAws
from cloud.stack_config import AwsLayerConfig
from cloud.trace_collector import TraceCollectorAws


def build(config: AwsLayerConfig) -> None:
    account = AccountBootstrap(config)
    network = Network("network", config)
    registry = Registry("registry", config)
    cluster = Cluster("cluster", config, network)
    karpenter = KarpenterAws("karpenter", config, cluster)
    LoadBalancerControllerAws("load-balancer-controller", config, cluster)
    ArgoRolloutsAws("argo-rollouts", config, cluster)
    secrets = SecretsAws("secrets", config, cluster)
    storage = PredictionStorageAws("prediction-storage", config, network, cluster)
    batch = BatchScoringAws("batch", config, cluster)
    LogShippingAws("logs", config, cluster)
    TraceCollectorAws("tracing", config, cluster)
    release = ReleaseRecord("released-image", config)
    deploy = GitHubDeploy("github-deploy", config, account, registry, cluster, release)
    runner = CiRunner("ci-runner", config, account, network, cluster)

    pulumi.export("region", config.region)
    pulumi.export("project", config.project)
    pulumi.export("vpcId", network.vpc_id)
    pulumi.export("vpcCidr", config.vpc_cidr)
    # Where the service's load balancer may go, by scheme (cluster layer, service_workload.py).
    pulumi.export(
        "loadBalancerSubnets",
        {
            "internet-facing": {
                "ids": network.public_subnet_ids,
                "cidrs": network.public_subnet_cidrs,
            },
            "internal": {"ids": network.ingress_subnet_ids, "cidrs": network.ingress_subnet_cidrs},
        },
    )
    pulumi.export("clusterName", cluster.name)
    pulumi.export("clusterEndpoint", cluster.endpoint)
    pulumi.export("clusterCertificateAuthority", cluster.certificate_authority)
    pulumi.export("clusterSecurityGroupId", cluster.security_group_id)
    pulumi.export("kubeconfig", cluster.kubeconfig)
    pulumi.export("karpenterNodeRoleName", karpenter.node_role_name)
    pulumi.export("karpenterQueueName", karpenter.queue_name)
    pulumi.export("apiKeysSecretName", secrets.api_keys_name)
    pulumi.export("serviceSecretsName", secrets.service_secrets_name)
    pulumi.export("predictionFileSystemId", storage.file_system_id)
    pulumi.export("batchBucket", batch.bucket_name)
    pulumi.export("repositoryUrl", registry.repository_url)
    pulumi.export("releaseRecord", release.name)
    pulumi.export("deployRoleArn", deploy.role_arn)
    pulumi.export("githubEnvironment", config.github_deploy_environment)
    pulumi.export("appNamespace", config.app_namespace)
    pulumi.export("runnerProject", runner.project_name)
