"""Order of the cluster layer: Pulumi creates a resource after what it depends on and
destroys it before. An app object created before its controller is rejected (no CRD yet,
a webhook not serving) or left unreconciled; one destroyed after its controller keeps its
finalizer forever (an Ingress whose ALB nobody deletes, an ExternalSecret nobody
releases), and `pulumi destroy` hangs. So every app object must depend, transitively, on
the controllers that act on it, and no controller may depend on an app object.

The graph is the plan's `dependsOn` edges; a dependency on a component resource means
every resource under it (Pulumi waits for all of a component's children).
"""

from collections import defaultdict

import pytest

from tests.infra.conftest import Plan

RELEASE = "kubernetes:helm.sh/v3:Release::"
LOAD_BALANCER_CONTROLLER = RELEASE + "load-balancer-controller-chart"
ARGO_ROLLOUTS = RELEASE + "argo-rollouts-chart"
SECRETS_OPERATOR = RELEASE + "secrets-operator-chart"
MONITORING_STACK = RELEASE + "monitoring-stack-chart"
KARPENTER = RELEASE + "karpenter-chart"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool::karpenter-node-pool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass::karpenter-node-class"
CONTROLLERS = {LOAD_BALANCER_CONTROLLER, ARGO_ROLLOUTS, SECRETS_OPERATOR, MONITORING_STACK}

# What each kind of app object needs running before it exists, and until it is gone.
NEEDS = {
    # The controller's webhooks admit Services and the pods behind an ALB; it owns the ALB.
    "Ingress": {LOAD_BALANCER_CONTROLLER},
    "Service": {LOAD_BALANCER_CONTROLLER},
    # Argo's CRDs; the pods need nodes Karpenter makes; traffic goes through the ALB.
    "Rollout": {ARGO_ROLLOUTS, NODE_POOL, LOAD_BALANCER_CONTROLLER},
    "AnalysisTemplate": {ARGO_ROLLOUTS},
    # Pods: nodes, and the LBC pod webhook (readiness gates) that admits them.
    "Deployment": {NODE_POOL, LOAD_BALANCER_CONTROLLER},
    "Job": {NODE_POOL, LOAD_BALANCER_CONTROLLER},
    "CronJob": {NODE_POOL, LOAD_BALANCER_CONTROLLER},
    "ExternalSecret": {SECRETS_OPERATOR},
    "SecretStore": {SECRETS_OPERATOR},
    "PodMonitor": {MONITORING_STACK},
    "PrometheusRule": {MONITORING_STACK},
    # The EFS CSI driver and the VPC CNI's policy agent are AWS-layer add-ons; these only
    # need to go before the nodes that mount or enforce them.
    "PersistentVolumeClaim": {NODE_POOL},
    "NetworkPolicy": {NODE_POOL},
}


def key(resource: dict) -> str:
    return f"{resource['type']}::{resource['name']}"


def dependencies(resources: list[dict]) -> dict[str, set[str]]:
    """Each resource's transitive dependencies, components expanded to their descendants."""
    children: dict[str, set[str]] = defaultdict(set)
    for resource in resources:
        if resource.get("parent"):
            children[resource["parent"]].add(key(resource))

    def descendants(node: str) -> set[str]:
        found = set(children[node])
        for child in children[node]:
            found |= descendants(child)
        return found

    direct = {
        key(resource): {
            target
            for dependency in resource.get("dependsOn") or []
            for target in {dependency} | descendants(dependency)
        }
        for resource in resources
    }
    closure: dict[str, set[str]] = {}

    def reach(node: str, path: frozenset[str]) -> set[str]:
        assert node not in path, f"dependency cycle through {node}"
        if node not in closure:
            found = set()
            for target in direct.get(node, ()):
                found |= {target} | reach(target, path | {node})
            closure[node] = found
        return closure[node]

    for node in direct:
        reach(node, frozenset())
    return closure


def app_namespace(resources: list[dict]) -> str:
    (namespace,) = [
        resource["inputs"]["metadata"]["name"]
        for resource in resources
        if resource["type"] == "kubernetes:core/v1:Namespace"
        and resource.get("parent", "").endswith(":AppNamespace::app")
    ]
    return namespace


def app_objects(resources: list[dict]) -> list[dict]:
    namespace = app_namespace(resources)
    return [
        resource
        for resource in resources
        if resource["type"].startswith("kubernetes:")
        and (resource["inputs"].get("metadata") or {}).get("namespace") == namespace
    ]


def unmet(resources: list[dict]) -> list[str]:
    graph = dependencies(resources)
    problems = []
    for resource in app_objects(resources):
        missing = NEEDS.get(resource["inputs"]["kind"], set()) - graph[key(resource)]
        if missing:
            problems.append(f"{key(resource)} does not wait for {sorted(missing)}")
    return problems


@pytest.fixture(params=["dev-cluster", "prod-cluster"])
def cluster_layer(request: pytest.FixtureRequest, stacks: dict[str, Plan]) -> list[dict]:
    return stacks[request.param].resources


def test_every_app_object_waits_for_the_controllers_that_act_on_it(
    cluster_layer: list[dict],
) -> None:
    problems = unmet(cluster_layer)
    assert not problems, "\n".join(problems)


def test_every_kind_the_rules_name_is_checked_on_something(cluster_layer: list[dict]) -> None:
    # A renamed kind would silently drop out of the check above.
    kinds = {resource["inputs"]["kind"] for resource in app_objects(cluster_layer)}
    assert {"Ingress", "Rollout", "AnalysisTemplate", "Service", "CronJob"} <= kinds
    assert {"ExternalSecret", "SecretStore", "PodMonitor", "PrometheusRule"} <= kinds
    assert {"PersistentVolumeClaim", "NetworkPolicy"} <= kinds


def test_karpenters_node_pool_and_node_class_wait_for_its_controller(
    cluster_layer: list[dict],
) -> None:
    graph = dependencies(cluster_layer)
    assert KARPENTER in graph[NODE_POOL]
    assert KARPENTER in graph[NODE_CLASS]
    assert NODE_CLASS in graph[NODE_POOL]


def test_no_controller_waits_for_an_app_object(cluster_layer: list[dict]) -> None:
    # Destroy runs the edges backwards: a controller depending on an app object would be
    # deleted first and leave the object's finalizer to hang.
    graph = dependencies(cluster_layer)
    app = {key(resource) for resource in app_objects(cluster_layer)}
    for controller in CONTROLLERS | {KARPENTER, NODE_POOL, NODE_CLASS}:
        assert not graph[controller] & app, controller


def test_the_check_fails_when_app_objects_depend_on_the_namespace_alone(
    cluster_layer: list[dict],
) -> None:
    # The old layout: the namespace waited for nothing, so nothing ordered the app after
    # its controllers.
    detached = [
        {**resource, "dependsOn": []}
        if resource["type"] == "kubernetes:core/v1:Namespace"
        else resource
        for resource in cluster_layer
    ]
    problems = unmet(detached)
    for kind in ("Ingress", "Rollout", "ExternalSecret", "PodMonitor"):
        assert any(f":{kind}::" in problem for problem in problems), kind
