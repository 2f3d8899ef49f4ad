"""The analysis templates, as declared. Their queries run against a real Prometheus in
tests/loadtests/test_canary_analysis_rehearsal.py."""

import tomllib

from tests.infra.conftest import PROJECT, Plan

SLO = tomllib.loads((PROJECT / "loadtests" / "slo.toml").read_text())["slo"]


def template(plan: Plan, name: str) -> dict:
    return next(
        item for item in plan.kubernetes("AnalysisTemplate") if item["metadata"]["name"] == name
    )


def test_locust_gate_is_a_bounded_job_that_cannot_retry(plan: Plan) -> None:
    [metric] = template(plan, "locust-gate")["spec"]["metrics"]
    job = metric["provider"]["job"]["spec"]

    assert job["backoffLimit"] == 0
    assert 0 < job["activeDeadlineSeconds"] <= 600
    assert metric["failureLimit"] == 0
    assert "timeout" not in metric, "a timed-out job metric can pass (argo-rollouts#4393)"


def test_locust_gate_runs_the_canary_shape_against_the_canary_service(plan: Plan) -> None:
    job = template(plan, "locust-gate")["spec"]["metrics"][0]["provider"]["job"]["spec"]
    [container] = job["template"]["spec"]["containers"]
    [canary] = plan.kubernetes("Rollout")
    canary_service = canary["spec"]["strategy"]["canary"]["canaryService"]

    assert container["args"][container["args"].index("--host") + 1].startswith(
        f"http://{canary_service}."
    )
    assert "/loadtests/shapes/canary_gate.py" in container["args"][1]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_gate_files_are_the_load_tests_of_this_repository(plan: Plan) -> None:
    [files] = [
        config_map
        for config_map in plan.kubernetes("ConfigMap")
        if "locustfile.py" in config_map["data"]
    ]
    for key, path in (
        ("locustfile.py", "locustfile.py"),
        ("slo.toml", "slo.toml"),
        ("canary_gate.py", "shapes/canary_gate.py"),
    ):
        assert files["data"][key] == (PROJECT / "loadtests" / path).read_text()


def test_prometheus_analysis_uses_the_slo_file_and_rejects_missing_data(plan: Plan) -> None:
    metrics = {
        metric["name"]: metric
        for metric in template(plan, "canary-metrics")["spec"]["metrics"]
        if "prometheus" in metric["provider"]
    }

    assert metrics["error-ratio"]["successCondition"].endswith(f"<= {SLO['max_error_ratio']}")
    assert metrics["p95-latency"]["successCondition"].endswith(f"<= {SLO['p95_latency_ms'] / 1000}")
    for metric in metrics.values():
        assert metric["successCondition"].startswith("len(result) > 0 && !isNaN(result[0])")
        assert (
            'rollouts_pod_template_hash="{{args.canary-hash}}"'
            in metric["provider"]["prometheus"]["query"]
        )
        assert metric["failureLimit"] == 0


def test_analysis_load_runs_as_long_as_the_analysis_and_cannot_retry(plan: Plan) -> None:
    metrics = {m["name"]: m for m in template(plan, "canary-metrics")["spec"]["metrics"]}
    load = metrics["canary-load"]
    job = load["provider"]["job"]["spec"]
    [container] = job["template"]["spec"]["containers"]
    environment = {variable["name"]: variable.get("value") for variable in container["env"]}
    measured = [m for m in metrics.values() if "prometheus" in m["provider"]]
    last_measurement = max(
        int(m["initialDelay"].removesuffix("m")) + m["count"] - 1 for m in measured
    )

    assert job["backoffLimit"] == 0
    assert load["failureLimit"] == 0
    assert "timeout" not in load, "a timed-out job metric can pass (argo-rollouts#4393)"
    assert "/loadtests/shapes/canary_analysis.py" in container["args"][1]
    assert int(environment["CANARY_ANALYSIS_SECONDS"]) > last_measurement * 60
    assert job["activeDeadlineSeconds"] > int(environment["CANARY_ANALYSIS_SECONDS"])


def test_every_measurement_needs_the_minimum_number_of_canary_requests(plan: Plan) -> None:
    metrics = {m["name"]: m for m in template(plan, "canary-metrics")["spec"]["metrics"]}
    requests = metrics["canary-requests"]

    assert requests["successCondition"].endswith(f">= {SLO['canary_analysis_min_requests']}")
    assert {m["count"] for m in metrics.values() if "prometheus" in m["provider"]} == {
        requests["count"]
    }


def test_analysis_load_pods_are_admitted_by_the_network_policies(plan: Plan) -> None:
    job = next(
        m for m in template(plan, "canary-metrics")["spec"]["metrics"] if m["name"] == "canary-load"
    )["provider"]["job"]["spec"]
    pod_labels = job["template"]["metadata"]["labels"]
    policies = {p["metadata"]["name"]: p for p in plan.kubernetes("NetworkPolicy")}
    [service] = [p for p in policies.values() if "ipBlock" in str(p["spec"].get("ingress"))]
    admitted = [
        peer["podSelector"]["matchLabels"]
        for rule in service["spec"]["ingress"]
        for peer in rule["from"]
        if "podSelector" in peer
    ]

    assert any(labels.items() <= pod_labels.items() for labels in admitted)


def test_podmonitor_keeps_the_service_labels_the_queries_filter_on(plan: Plan) -> None:
    [monitor] = plan.kubernetes("PodMonitor")
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]

    assert endpoint["honorLabels"] is True
    assert monitor["spec"]["podTargetLabels"] == ["rollouts-pod-template-hash"]
