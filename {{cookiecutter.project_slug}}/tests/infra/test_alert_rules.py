"""The alert rules the Pulumi program declares, unit-tested with `promtool test rules`:
series that must fire each alert, and healthy series that must fire none."""

import importlib
import subprocess
import tomllib
from pathlib import Path

import yaml

from cloud.alert_rules import MAX_CONCURRENCY
from tests.infra.conftest import PROJECT, Plan, debian_binary
from tests.infra.scraping import pod_monitor, rollout_pod, stored_labels, target_labels
from tests.server_settings import SERVICE

MINUTES = 240  # four hours of series, one sample a minute


def declared_groups(plan: Plan) -> list[dict]:
    [rule] = plan.kubernetes("PrometheusRule")
    return rule["spec"]["groups"]


def counter(name: str, per_minute: float, **labels: str) -> dict[str, str]:
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{selector}}}", "values": f"0+{per_minute:g}x{MINUTES}"}


def gauge(name: str, value: str, **labels: str) -> dict[str, str]:
    series = counter(name, 0, **labels)
    return {**series, "values": f"{value}x{MINUTES}"}


def service_series(plan: Plan, healthy: bool) -> list[dict[str, str]]:
    """What Prometheus stores: the service's series with the labels the operator gives
    the declared PodMonitor's targets; the cluster's (kube-state-metrics, drift job) as is."""
    namespace = namespace_of(plan)
    monitor = pod_monitor(plan)
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    target = target_labels(monitor, endpoint, rollout_pod(plan, "abc123", "10.0.0.1:3000"))
    assert target is not None, "the PodMonitor does not select the Rollout's pods"
    honor = endpoint.get("honorLabels", False)
    app = stored_labels(target, {}, honor)
    predict = stored_labels(target, {"endpoint": "/predict"}, honor)
    pod = {"namespace": namespace, "pod": "service-a"}
    seconds = "bentoml_service_request_duration_seconds_bucket"
    slow = 0 if healthy else 600
    series = [
        counter("bentoml_service_request_total", 600, **predict, http_response_code="200"),
        counter(
            "bentoml_service_request_total",
            0 if healthy else 60,
            **predict,
            http_response_code="500",
        ),
        counter(
            "bentoml_service_request_total",
            0 if healthy else 60,
            **predict,
            http_response_code="429",
        ),
        counter(seconds, 600 - slow, **predict, le="0.1"),
        counter(seconds, 600 - slow, **predict, le="0.5"),
        counter(seconds, 600, **predict, le="1"),
        counter(seconds, 600, **predict, le="+Inf"),
        gauge("bentoml_service_request_in_progress", "2" if healthy else "60", **predict),
        counter(
            "kube_pod_container_status_restarts_total",
            0 if healthy else 0.5,
            **pod,
            container="service",
        ),
        counter("prediction_log_dropped_total", 0 if healthy else 5, **app),
    ]
    confidence = "model_prediction_confidence_bucket"
    low = 60 if healthy else 300
    series += [
        counter(confidence, low, **app, le="0.6"),
        counter(confidence, 600, **app, le="+Inf"),
    ]
    drift = {"namespace": namespace, "model_version": "classifier:v1"}
    drifted = "0" if healthy else "1"
    series += [
        # Healthy: the job reports every minute (its timestamp keeps up with time()).
        {
            "series": f'model_drift_last_run_timestamp_seconds{{namespace="{namespace}"}}',
            "values": f"0+60x{MINUTES}" if healthy else f"0x{MINUTES}",
        },
        gauge("model_drift_enough_data", "1" if healthy else "0", **drift),
        gauge("model_drift_share", "0" if healthy else "0.5", **drift),
        gauge("model_feature_drifted", "0", **drift, feature="width"),
        gauge("model_feature_drifted", drifted, **drift, feature="length"),
        gauge("model_quality_below_floor", drifted, **drift),
    ]
    return series


def without_annotations(groups: list[dict]) -> list[dict]:
    """promtool compares rendered annotations word for word; they are prose, checked below."""
    return [
        {
            **group,
            "rules": [{k: v for k, v in r.items() if k != "annotations"} for r in group["rules"]],
        }
        for group in groups
    ]


def run_promtool(tmp_path: Path, groups: list[dict], tests: list[dict]) -> str:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": without_annotations(groups)}))
    (tmp_path / "tests.yml").write_text(
        yaml.safe_dump({"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests})
    )
    result = subprocess.run(
        [debian_binary("promtool"), "test", "rules", "tests.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def case(groups: list[dict], series: list[dict], firing: dict[str, list[dict]]) -> dict:
    """Every declared alert checked after almost four hours of `series`: the instances in
    `firing` must fire (with these labels), every other alert must stay quiet."""
    rules = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    checks = [
        {
            "eval_time": f"{MINUTES - 10}m",
            "alertname": name,
            "exp_alerts": [
                {"exp_labels": {**labels, "severity": rule["labels"]["severity"]}}
                for labels in firing.get(name, [])
            ],
        }
        for name, rule in rules.items()
    ]
    return {"interval": "1m", "input_series": series, "alert_rule_test": checks}


def namespace_of(plan: Plan) -> str:
    return plan.kubernetes("Namespace")[0]["metadata"]["name"]


def test_healthy_series_fire_no_alert_and_faulty_ones_fire_each(plan: Plan, tmp_path: Path) -> None:
    groups = declared_groups(plan)
    namespace = namespace_of(plan)
    faulty = {
        name: [{}]
        for name in (
            "ServiceErrorRatioHigh",
            "ServiceLatencyP99AboveSlo",
            "ServiceRejectingRequests",
            "ServiceSaturated",
            "PredictionLogDropping",
            "ModelDatasetDrift",
            "ModelPredictionConfidenceLow",
            "ModelDriftJobStale",
            "ModelDriftNotEnoughData",
            "ModelAccuracyBelowTraining",
        )
    }
    faulty["ServicePodRestarting"] = [
        {"namespace": namespace, "pod": "service-a", "container": "service"}
    ]
    faulty["ModelFeatureDrift"] = [{"feature": "length"}]
    tests = [
        case(groups, service_series(plan, healthy=True), {}),
        case(groups, service_series(plan, healthy=False), faulty),
    ]
    output = run_promtool(tmp_path, groups, tests)
    assert "SUCCESS" in output


def test_production_alerts_when_no_request_arrives_and_dev_does_not(
    plans: dict[str, Plan], tmp_path: Path
) -> None:
    prod = declared_groups(plans["prod"])
    quiet = [gauge("model_drift_enough_data", "1", namespace=namespace_of(plans["prod"]))]
    tests = [
        {
            "interval": "1m",
            "input_series": quiet,
            "alert_rule_test": [
                {
                    "eval_time": "30m",
                    "alertname": "ServiceReceivesNoRequests",
                    "exp_alerts": [{"exp_labels": {"severity": "critical"}}],
                }
            ],
        }
    ]
    run_promtool(tmp_path, prod, tests)
    dev_alerts = {
        rule["alert"] for group in declared_groups(plans["dev"]) for rule in group["rules"]
    }
    assert "ServiceReceivesNoRequests" not in dev_alerts


def test_every_alert_tells_on_call_what_happened_and_what_to_do(plan: Plan) -> None:
    for group in declared_groups(plan):
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
            assert len(rule["annotations"]["summary"]) > 20, rule["alert"]
            assert len(rule["annotations"]["description"]) > 80, rule["alert"]


def test_latency_and_error_thresholds_are_the_slo_files(plan: Plan) -> None:
    objectives = tomllib.loads((PROJECT / "loadtests" / "slo.toml").read_text())["slo"]
    rules = {r["alert"]: r for group in declared_groups(plan) for r in group["rules"]}
    assert rules["ServiceLatencyP99AboveSlo"]["expr"].endswith(
        f"> {objectives['p99_latency_ms'] / 1000}"
    )
    assert rules["ServiceErrorRatioHigh"]["expr"].endswith(f"> {objectives['max_error_ratio']}")


def test_the_saturation_alert_knows_the_limit_the_pods_run_with(plan: Plan) -> None:
    """The pod leaves SERVICE_MAX_CONCURRENCY at the service's default, which the rule
    copies (alert_rules.MAX_CONCURRENCY): changing the default must move the rule."""
    settings = importlib.import_module(f"{SERVICE.split('.')[0]}.settings")
    pod_variables = {variable["name"] for variable in service_container(plan)["env"]}
    rules = {r["alert"]: r for group in declared_groups(plan) for r in group["rules"]}

    assert "SERVICE_MAX_CONCURRENCY" not in pod_variables
    limit = settings.ServiceSettings.from_environment({}).max_concurrency
    assert limit == MAX_CONCURRENCY
    assert f"near the limit of {limit}" in rules["ServiceSaturated"]["annotations"]["summary"]


def service_container(plan: Plan) -> dict:
    [rollout] = plan.kubernetes("Rollout")
    [container] = rollout["spec"]["template"]["spec"]["containers"]
    return container
