"""The service in the cluster: an Argo Rollouts canary behind an ALB, scaled by an HPA.

Each new image gets one canary pod and no traffic; the Locust gate tests it; then 10% of
traffic and the Prometheus analysis; then 25%, 50% and all of it. A failed analysis
aborts the rollout and sends all traffic back to the stable pods.

Pulumi declares everything here once; delivery changes only the Rollout's image
(`kubectl argo rollouts set image`), and Pulumi ignores that field so the two never fight.
"""

import json

import pulumi
import pulumi_kubernetes as kubernetes

from .app_namespace import AppNamespace
from .canary_analysis import CANARY_HASH_ARGUMENT, CanaryAnalysis
from .cluster_connection import ClusterConnection
from .distributed_load_test import DistributedLoadTest
from .load_test_pods import load_test_labels
from .naming import component_type
from .network_policies import create_network_policies
from .service_pod import (
    ALB_DEREGISTRATION_DELAY_SECONDS,
    ALB_IDLE_TIMEOUT_SECONDS,
    labels,
    pod_template,
)
from .stack_config import ClusterLayerConfig

SERVICE_PORT = 80
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CPU_TARGET_PERCENT = 70


def canary_steps(config: ClusterLayerConfig, analysis: CanaryAnalysis) -> list[dict]:
    """One canary pod and no traffic for the Locust gate; then the stack's `canary`
    setting: a weight under Prometheus analysis, then each later weight for its pause."""
    canary = config.canary
    return [
        {"setCanaryScale": {"replicas": 1}},
        {"analysis": {"templates": [{"templateName": analysis.gate_template}]}},
        {"setWeight": canary.analysis_weight},
        {
            "analysis": {
                "templates": [{"templateName": analysis.prometheus_template}],
                "args": [
                    {"name": CANARY_HASH_ARGUMENT, "valueFrom": {"podTemplateHashValue": "Latest"}}
                ],
            }
        },
        {"setCanaryScale": {"matchTrafficWeight": True}},
        *(
            step
            for later in canary.steps
            for step in ({"setWeight": later.weight}, {"pause": {"duration": later.pause}})
        ),
    ]


def ingress_annotations(config: ClusterLayerConfig) -> dict[str, str]:
    prefix = "alb.ingress.kubernetes.io"
    annotations = {
        f"{prefix}/target-type": "ip",
        f"{prefix}/healthcheck-path": "/readyz",
        f"{prefix}/target-group-attributes": (
            f"deregistration_delay.timeout_seconds={ALB_DEREGISTRATION_DELAY_SECONDS}"
        ),
        f"{prefix}/load-balancer-attributes": (
            f"idle_timeout.timeout_seconds={ALB_IDLE_TIMEOUT_SECONDS}"
        ),
    }
    if config.certificate_arn:
        return {
            **annotations,
            f"{prefix}/scheme": "internet-facing",
            f"{prefix}/listen-ports": json.dumps([{"HTTPS": 443}]),
            f"{prefix}/certificate-arn": config.certificate_arn,
            f"{prefix}/ssl-policy": TLS_POLICY,
        }
    return {
        **annotations,
        f"{prefix}/scheme": "internal",
        f"{prefix}/listen-ports": json.dumps([{"HTTP": 80}]),
    }


def load_balancer_url(status: kubernetes.networking.v1.outputs.IngressStatus | None) -> str:
    entries = (status and status.load_balancer and status.load_balancer.ingress) or []
    return (
        f"http://{entries[0].hostname}"
        if entries
        else "pending: the load balancer is being created"
    )


class ServiceWorkload(pulumi.ComponentResource):
    stable_service: str
    canary_service: str
    url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        image: str,
        api_keys_secret: str,
        prediction_log_claim: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "ServiceWorkload"), name, None, opts)
        options = pulumi.ResourceOptions(
            parent=self, provider=cluster.provider, depends_on=[namespace]
        )
        project, namespace_name = config.project, namespace.name
        self.stable_service = f"{project}-stable"
        self.canary_service = f"{project}-canary"

        def metadata(object_name: str = project, **extra: dict) -> dict:
            return {
                "name": object_name,
                "namespace": namespace_name,
                "labels": labels(config),
                **extra,
            }

        kubernetes.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=metadata(),
            automount_service_account_token=False,
            opts=options,
        )
        for service in (self.stable_service, self.canary_service):
            # Argo Rollouts points each at the stable or canary pods by template hash.
            kubernetes.core.v1.Service(
                f"{name}-{service}",
                metadata=metadata(service),
                spec={
                    "selector": labels(config),
                    "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}],
                },
                opts=options,
            )
        ingress_rule = {
            "http": {
                "paths": [
                    {
                        "path": "/",
                        "pathType": "Prefix",
                        # Argo Rollouts writes the weighted forward action into annotations.
                        "backend": {
                            "service": {
                                "name": self.stable_service,
                                "port": {"name": "use-annotation"},
                            }
                        },
                    }
                ]
            }
        }
        if config.domain_name:
            ingress_rule["host"] = config.domain_name
        ingress = kubernetes.networking.v1.Ingress(
            f"{name}-ingress",
            metadata=metadata(annotations=ingress_annotations(config)),
            spec={"ingressClassName": "alb", "rules": [ingress_rule]},
            opts=options,
        )
        create_network_policies(
            f"{name}-network", config, cluster, namespace, load_test_labels(config), self
        )
        analysis = CanaryAnalysis(
            f"{name}-analysis",
            config,
            cluster,
            namespace,
            self.canary_service,
            api_keys_secret,
            opts=pulumi.ResourceOptions(parent=self),
        )
        DistributedLoadTest(
            f"{name}-distributed-load-test",
            config,
            cluster,
            namespace,
            self.stable_service,
            api_keys_secret,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[analysis]),
        )
        rollout = kubernetes.apiextensions.CustomResource(
            f"{name}-rollout",
            api_version="argoproj.io/v1alpha1",
            kind="Rollout",
            metadata=metadata(),
            spec={
                "replicas": config.service_replicas.min,
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": labels(config)},
                "template": pod_template(config, image, api_keys_secret, prediction_log_claim),
                "strategy": {
                    "canary": {
                        "stableService": self.stable_service,
                        "canaryService": self.canary_service,
                        "abortScaleDownDelaySeconds": 30,
                        "trafficRouting": {
                            "alb": {"ingress": project, "servicePort": SERVICE_PORT}
                        },
                        "steps": canary_steps(config, analysis),
                    }
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=cluster.provider,
                depends_on=[namespace, ingress, analysis],
                # Delivery owns the image; the HPA owns the replica count.
                ignore_changes=["spec.template.spec.containers[0].image", "spec.replicas"],
            ),
        )
        kubernetes.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=metadata(),
            spec={
                "scaleTargetRef": {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": project,
                },
                "minReplicas": config.service_replicas.min,
                "maxReplicas": config.service_replicas.max,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": CPU_TARGET_PERCENT,
                            },
                        },
                    }
                ],
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[rollout]
            ),
        )
        kubernetes.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=metadata(),
            spec={"maxUnavailable": 1, "selector": {"matchLabels": labels(config)}},
            opts=options,
        )
        self.url = (
            pulumi.Output.from_input(f"https://{config.domain_name}")
            if config.domain_name
            else ingress.status.apply(load_balancer_url)
        )
        self.register_outputs({"url": self.url})
