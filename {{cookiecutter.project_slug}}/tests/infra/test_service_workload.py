"""The service's Kubernetes objects: a canary Rollout behind an ALB, and the arithmetic
that lets pods leave the load balancer before they stop."""

import pytest

from tests.infra.conftest import Plan, run_plan
from tests.infra.test_network import SUBNET


def rollout(plan: Plan) -> dict:
    [found] = plan.kubernetes("Rollout")
    return found


def container(plan: Plan) -> dict:
    [service] = rollout(plan)["spec"]["template"]["spec"]["containers"]
    return service


def env_value(plan: Plan, name: str) -> str:
    return next(item["value"] for item in container(plan)["env"] if item["name"] == name)


def ingress_annotation(plan: Plan, key: str) -> str:
    [ingress] = plan.kubernetes("Ingress")
    return ingress["metadata"]["annotations"][f"alb.ingress.kubernetes.io/{key}"]


def services_by_name(plan: Plan) -> dict[str, dict]:
    return {service["metadata"]["name"]: service for service in plan.kubernetes("Service")}


def test_the_alb_routes_through_ping_pong_services_behind_the_root_service(plan: Plan) -> None:
    # A stable/canary pair swaps the stable selector at promotion: the stable target group
    # then mixes draining pods with pods in their first health checks (503s), and pods
    # created before the swap got no readiness gate. Ping and pong never change selector.
    canary = rollout(plan)["spec"]["strategy"]["canary"]
    alb = canary["trafficRouting"]["alb"]
    services = services_by_name(plan)
    [ingress] = plan.kubernetes("Ingress")

    ping, pong = canary["pingPong"]["pingService"], canary["pingPong"]["pongService"]
    assert ping != pong
    assert {ping, pong, alb["rootService"]} <= set(services)
    assert alb["ingress"] == ingress["metadata"]["name"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": alb["rootService"], "port": {"name": "use-annotation"}}
    # Same pods and port for all three, or readiness gates and target groups diverge.
    selector = rollout(plan)["spec"]["selector"]["matchLabels"]
    for name in (ping, pong, alb["rootService"]):
        assert services[name]["spec"]["selector"] == selector, name
        assert services[name]["spec"]["ports"][0]["port"] == alb["servicePort"], name
    assert ingress_annotation(plan, "target-type") == "ip"
    [namespace] = plan.kubernetes("Namespace")
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_the_locust_gate_still_reaches_the_canary_by_a_service_no_alb_uses(plan: Plan) -> None:
    # Ping or pong is the canary by turns; the canary Service always is.
    canary = rollout(plan)["spec"]["strategy"]["canary"]
    [ingress] = plan.kubernetes("Ingress")
    routed = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert {canary["stableService"], canary["canaryService"]} <= set(services_by_name(plan))
    assert routed.isdisjoint({canary["stableService"], canary["canaryService"]})


def test_the_canary_is_gated_with_one_pod_then_scaled_to_its_weight(plan: Plan) -> None:
    # One pod taking 10% of prod's twelve-pod traffic carries more than a stable pod and can
    # fail a good build on latency: before any traffic the canary must follow its weight.
    steps = rollout(plan)["spec"]["strategy"]["canary"]["steps"]
    templates = {template["metadata"]["name"] for template in plan.kubernetes("AnalysisTemplate")}
    first_weight = next(index for index, step in enumerate(steps) if "setWeight" in step)

    assert steps[0] == {"setCanaryScale": {"replicas": 1}}
    assert steps[1]["analysis"]["templates"] == [{"templateName": "locust-gate"}]
    scales = [step["setCanaryScale"] for step in steps[:first_weight] if "setCanaryScale" in step]
    assert scales[-1] == {"matchTrafficWeight": True}
    assert all("setCanaryScale" not in step for step in steps[first_weight:])
    assert steps[first_weight] == {"setWeight": 10}
    assert steps[first_weight + 1] == {"pause": {"duration": "5m"}}
    weights = [step["setWeight"] for step in steps if "setWeight" in step]
    assert weights == [10, 25, 50]
    assert {"locust-gate", "canary-metrics"} == templates


def test_the_prometheus_analysis_runs_from_the_first_traffic_step_to_promotion(
    plan: Plan,
) -> None:
    canary = rollout(plan)["spec"]["strategy"]["canary"]
    steps = canary["steps"]
    background = canary["analysis"]

    assert background["templates"] == [{"templateName": "canary-metrics"}]
    # Mocks carry numbers as floats.
    assert steps[int(background["startingStep"])] == {"setWeight": 10}
    assert background["args"] == [
        {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}}
    ]
    # One run judges every weight; a second (inline) run of the same template would double
    # the load it generates.
    inline = [step["analysis"]["templates"] for step in steps if "analysis" in step]
    assert inline == [[{"templateName": "locust-gate"}]]


def test_undoing_to_a_recent_revision_skips_the_canary(plan: Plan) -> None:
    spec = rollout(plan)["spec"]
    assert 1 <= spec["rollbackWindow"]["revisions"] < spec["revisionHistoryLimit"]


def test_pulumi_never_writes_a_stale_image_over_what_delivery_deployed(plan: Plan) -> None:
    # Under server-side apply the provider matches each ignoreChanges path against the live
    # object's managed fields and cannot follow a list index: with
    # `containers[0].image` it sends the image from its state, which conflicts with (or,
    # forced, reverts) the image `kubectl argo rollouts set image` wrote. A path without
    # an index that covers the image makes it send the live value instead.
    [record] = plan.all("kubernetes:argoproj.io/v1alpha1:Rollout")
    ignored = record["ignoreChanges"]
    image_path = ["spec", "template", "spec", "containers", "image"]
    assert all("[" not in path for path in ignored), ignored
    assert any(image_path[: len(path.split("."))] == path.split(".") for path in ignored), ignored
    assert "spec.replicas" in ignored


def test_the_autoscaler_owns_the_replicas_of_the_rollout(plan: Plan) -> None:
    [autoscaler] = plan.kubernetes("HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": rollout(plan)["metadata"]["name"],
    }
    expected = (2, 4) if plan.stack == "dev" else (3, 12)
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == expected


def test_a_cold_first_up_does_not_wait_for_service_endpoints(plan: Plan) -> None:
    # Endpoints need pods, pods need a node Karpenter may still be starting, and the
    # Rollout that makes them is created after the Services and the Ingress.
    awaited = plan.kubernetes("Service") + plan.kubernetes("Ingress")
    assert len(awaited) >= 7  # root, ping, pong, stable, canary, load-test master; the Ingress
    waiting = [
        item["metadata"]["name"]
        for item in awaited
        if item["metadata"].get("annotations", {}).get("pulumi.com/skipAwait") != "true"
    ]
    assert waiting == []


def test_pods_are_probed_limited_and_locked_down(plan: Plan) -> None:
    service = container(plan)
    pod = rollout(plan)["spec"]["template"]["spec"]

    assert service["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert service["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert service["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert (
        set(service["resources"]["requests"])
        == set(service["resources"]["limits"])
        == {"cpu", "memory"}
    )
    assert service["securityContext"]["readOnlyRootFilesystem"] is True
    assert service["securityContext"]["allowPrivilegeEscalation"] is False
    assert service["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["automountServiceAccountToken"] is False
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_workers_times_threads_use_exactly_the_cpus_the_pod_reserves(plan: Plan) -> None:
    # One place sets them (cloud/service_pod.py): a worker or thread too many is
    # throttled by the CPU limit, one too few leaves a reserved CPU idle.
    resources = container(plan)["resources"]
    workers = int(env_value(plan, "SERVICE_WORKERS"))
    threads = int(env_value(plan, "SERVICE_INFERENCE_THREADS"))

    assert resources["requests"]["cpu"] == resources["limits"]["cpu"]
    assert resources["limits"]["cpu"].isdigit(), "a fractional CPU limit throttles workers"
    assert workers * threads == int(resources["limits"]["cpu"])


def test_shutdown_arithmetic_lets_the_load_balancer_drain_first(plan: Plan) -> None:
    pod = rollout(plan)["spec"]["template"]["spec"]
    pre_stop = container(plan)["lifecycle"]["preStop"]["sleep"]["seconds"]
    request_timeout = int(env_value(plan, "SERVICE_REQUEST_TIMEOUT_SECONDS"))
    deregistration = int(ingress_annotation(plan, "target-group-attributes").split("=")[1])

    drain = int(env_value(plan, "SERVICE_SHUTDOWN_DRAIN_SECONDS"))

    assert pre_stop >= deregistration
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain + request_timeout
    assert ingress_annotation(plan, "target-type") == "ip"
    [namespace] = plan.kubernetes("Namespace")
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_without_a_domain_the_load_balancer_is_internal(plan: Plan) -> None:
    assert ingress_annotation(plan, "scheme") == "internal"
    assert ingress_annotation(plan, "listen-ports") == '[{"HTTP": 80}]'


@pytest.fixture(scope="module")
def with_domain(plan_variant) -> Plan:
    certificate = (
        "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"
    )
    return plan_variant(
        "prod-cluster",
        "domain",
        "domainName=api.example.com",
        f"certificateArn={certificate}",
    )


def test_with_a_domain_the_load_balancer_is_public_and_https_only(with_domain: Plan) -> None:
    [ingress] = with_domain.kubernetes("Ingress")
    assert ingress_annotation(with_domain, "scheme") == "internet-facing"
    assert ingress_annotation(with_domain, "listen-ports") == '[{"HTTPS": 443}]'
    assert ingress_annotation(with_domain, "certificate-arn").startswith("arn:aws:acm:")
    assert ingress_annotation(with_domain, "ssl-policy").startswith("ELBSecurityPolicy-TLS13")
    assert ingress["spec"]["rules"][0]["host"] == "api.example.com"


def alb_ip_blocks(plan: Plan) -> list[str]:
    [service_policy] = [
        policy
        for policy in plan.kubernetes("NetworkPolicy")
        if policy["spec"]["podSelector"] == rollout(plan)["spec"]["selector"]
    ]
    peers = service_policy["spec"]["ingress"][0]["from"]
    return [peer["ipBlock"]["cidr"] for peer in peers if "ipBlock" in peer]


def subnets_named(plan: Plan, role: str) -> tuple[list[str], list[str]]:
    """(ids, CIDRs) of the AWS layer's `role` subnets in zone order, as the mocks name them.

    Sorted because Pulumi may register resources in any order; the layer exports them by zone.
    """
    found = sorted(
        (subnet for subnet in plan.all(SUBNET) if f"-{role}-" in subnet["name"]),
        key=lambda subnet: subnet["name"],
    )
    return (
        [f"{subnet['name']}-id" for subnet in found],
        [subnet["inputs"]["cidrBlock"] for subnet in found],
    )


@pytest.mark.parametrize(("variant", "role"), [("internal", "ingress"), ("domain", "public")])
def test_the_load_balancer_is_placed_in_the_subnets_the_service_admits_and_only_those(
    plans: dict[str, Plan], with_domain: Plan, variant: str, role: str
) -> None:
    chosen = with_domain if variant == "domain" else plans["prod"]
    ids, cidrs = subnets_named(plans["prod"], role)

    assert ingress_annotation(chosen, "subnets").split(", ") == ids
    assert alb_ip_blocks(chosen) == cidrs


def test_pod_disruption_budget_keeps_all_but_one_pod(plan: Plan) -> None:
    [budget] = plan.kubernetes("PodDisruptionBudget")
    assert budget["spec"] == {"maxUnavailable": 1, "selector": rollout(plan)["spec"]["selector"]}


def test_distributed_load_test_is_declared_as_suspended_run_templates(plan: Plan) -> None:
    cron_jobs = {
        job["metadata"]["name"].rsplit("-", 1)[-1]: job["spec"]
        for job in plan.kubernetes("CronJob")
        if "-load-test-" in job["metadata"]["name"]
    }
    assert set(cron_jobs) == {"master", "workers"}
    assert all(spec["suspend"] is True for spec in cron_jobs.values())
    workers = cron_jobs["workers"]["jobTemplate"]["spec"]
    assert workers["parallelism"] == (2 if plan.stack == "dev" else 4)
    master_args = cron_jobs["master"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "args"
    ]
    worker_args = workers["template"]["spec"]["containers"][0]["args"]
    assert master_args[master_args.index("--expect-workers") + 1] == str(
        int(workers["parallelism"])
    )
    master_service = next(
        s for s in plan.kubernetes("Service") if s["metadata"]["name"].endswith("load-test-master")
    )
    assert worker_args[worker_args.index("--master-host") + 1] == master_service["metadata"]["name"]
    assert all(job["jobTemplate"]["spec"]["backoffLimit"] == 0 for job in cron_jobs.values())


def test_the_service_keeps_idle_connections_open_longer_than_the_load_balancer(plan: Plan) -> None:
    arguments = dict(
        argument.removeprefix("--").split("=") for argument in container(plan)["args"][1:]
    )
    idle_timeout = int(ingress_annotation(plan, "load-balancer-attributes").split("=")[1])
    request_timeout = int(env_value(plan, "SERVICE_REQUEST_TIMEOUT_SECONDS"))

    assert container(plan)["args"][0] == "serve"
    assert int(arguments["timeout-keep-alive"]) > idle_timeout
    assert int(arguments["timeout-graceful-shutdown"]) == request_timeout


PLAIN_HTTP_WARNING = "WARNING: the service's load balancer listens on plain HTTP"


def test_a_stack_that_serves_plain_http_says_so_when_planned(
    stacks: dict[str, Plan], plan_root
) -> None:
    """The same warning `pulumi preview` and `pulumi up` print (pulumi.log.warn)."""
    plain = run_plan("dev-cluster", plan_root / "plain-http")
    with_certificate = run_plan(
        "dev-cluster",
        plan_root / "https",
        "domainName=api.example.com",
        f"certificateArn=arn:aws:acm:{stacks['dev'].region}:123456789012:certificate/0a1b2c3d",
    )

    assert plain.returncode == with_certificate.returncode == 0
    assert PLAIN_HTTP_WARNING in plain.stdout
    assert "API keys cross the VPC in clear text" in plain.stdout
    assert PLAIN_HTTP_WARNING not in with_certificate.stdout
