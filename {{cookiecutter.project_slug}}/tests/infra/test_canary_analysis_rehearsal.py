"""The canary analysis rehearsed offline: a real Prometheus scrapes the real service
through the labels the prometheus-operator gives the declared PodMonitor's targets, the
analysis' own load generator (its shape, at slo.toml's rate) is the only traffic, and the
exact queries and success conditions of the declared AnalysisTemplate are evaluated.
Healthy passes; faulty fails; no traffic, or too little, never passes."""

import copy
import json
import math
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import cloud.canary_analysis
from harness.local_service import LocalService
from tests.infra.conftest import Plan
from tests.infra.scraping import Prometheus, pod_monitor, rollout_pod, scrape_configs
from tests.locust_run import locust_command, locust_environment
from tests.records import EXAMPLE
from tests.server_settings import API_KEY

# Argo Rollouts' expression language, as far as the declared conditions use it.
CONDITION_GRAMMAR = re.compile(
    r"^(len\(result\)|result\[0\]|!?isNaN\(result\[0\]\)|&&|[<>=]=?|[\d.]+|\s)+$"
)
# The analysis load's duration here (minutes in a cluster): enough for the minimum
# number of requests at slo.toml's rate, with room to spare.
LOAD_SECONDS = "35"
# Requests to a canary that otherwise has no traffic: fine answers, far too few.
SPARSE_REQUESTS = 20
# The template's scraped hashes. "unhonoured" is the healthy server scraped through the
# PodMonitor as it was before it honoured the service's labels.
HEALTHY, FAULTY, IDLE, UNHONOURED = "healthy", "faulty", "idle", "unhonoured"


def holds(condition: str, result: list[float]) -> bool:
    """Evaluate an Argo successCondition on a query result."""
    assert CONDITION_GRAMMAR.match(condition), (
        f"condition outside the rehearsed grammar: {condition}"
    )
    python = condition.replace("&&", " and ").replace("!isNaN(", " not isNaN(")
    names = {"len": len, "isNaN": math.isnan, "result": result}
    return bool(eval(python, {"__builtins__": {}}, names))  # noqa: S307 (grammar checked above)


def drive(server: LocalService, report_dir: Path) -> subprocess.Popen:
    """The analysis' own load generator: the declared shape, at slo.toml's rate."""
    command = locust_command(server.url, report_dir, cloud.canary_analysis.LOAD_SHAPE)
    environment = locust_environment(CANARY_ANALYSIS_SECONDS=LOAD_SECONDS)
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def without_honoured_labels(monitor: dict) -> dict:
    """The PodMonitor as the operator's default would scrape it (honorLabels false)."""
    unhonoured = copy.deepcopy(monitor)
    unhonoured["metadata"]["name"] += "-unhonoured"
    for endpoint in unhonoured["spec"]["podMetricsEndpoints"]:
        endpoint.pop("honorLabels", None)
    return unhonoured


class Scraped:
    """Prometheus after the analysis load drove the healthy and the faulty canary; the
    idle canary had no request until `quiet_until`, then a few."""

    def __init__(self, prometheus: Prometheus, quiet_until: float) -> None:
        self.prometheus = prometheus
        self.quiet_until = quiet_until


@pytest.fixture(scope="module")
def scraped(
    plans: dict[str, Plan],
    server: LocalService,
    faulty_server: LocalService,
    own_server: LocalService,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Scraped]:
    plan = plans["dev"]
    monitor = pod_monitor(plan)

    def pods(*servers: tuple[str, LocalService]) -> list:
        return [
            rollout_pod(plan, name, running.url.removeprefix("http://"))
            for name, running in servers
        ]

    jobs = scrape_configs(
        monitor, pods((HEALTHY, server), (FAULTY, faulty_server), (IDLE, own_server)), "1s"
    )
    jobs += scrape_configs(without_honoured_labels(monitor), pods((UNHONOURED, server)), "1s")
    prometheus = Prometheus(jobs, tmp_path_factory.mktemp("prometheus"))
    try:
        runs = [
            drive(running, tmp_path_factory.mktemp("locust")) for running in (server, faulty_server)
        ]
        for run in runs:
            run.wait(timeout=120)
        prometheus.wait_for_scrapes()
        quiet_until = time.time()
        with httpx.Client(
            base_url=own_server.url, headers={"Authorization": f"Bearer {API_KEY}"}
        ) as client:
            for _ in range(SPARSE_REQUESTS):
                assert client.post("/predict", json={"records": [EXAMPLE]}).status_code == 200
        prometheus.wait_for_scrapes()
        yield Scraped(prometheus, quiet_until)
    finally:
        prometheus.stop()


def evaluate(
    plan: Plan, prometheus: Prometheus, canary_hash: str, at: float | None = None
) -> dict[str, bool]:
    """Every Prometheus metric of the declared template, as Argo Rollouts would judge it."""
    template = next(
        t for t in plan.kubernetes("AnalysisTemplate") if t["metadata"]["name"] == "canary-metrics"
    )
    verdicts = {}
    for metric in template["spec"]["metrics"]:
        if "prometheus" not in metric["provider"]:
            continue
        query = metric["provider"]["prometheus"]["query"].replace(
            "{{args.canary-hash}}", canary_hash
        )
        verdicts[metric["name"]] = holds(metric["successCondition"], prometheus.query(query, at))
    return verdicts


def test_healthy_canary_driven_only_by_the_analysis_load_passes_every_metric(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    assert evaluate(plans["dev"], scraped.prometheus, HEALTHY) == {
        "error-ratio": True,
        "p95-latency": True,
        "canary-requests": True,
    }


def test_faulty_canary_fails_the_analysis_on_errors_and_latency(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    assert evaluate(plans["dev"], scraped.prometheus, FAULTY) == {
        "error-ratio": False,
        "p95-latency": False,
        "canary-requests": True,
    }


def test_canary_without_any_request_fails_every_metric(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    verdicts = evaluate(plans["dev"], scraped.prometheus, IDLE, at=scraped.quiet_until)
    assert verdicts == {"error-ratio": False, "p95-latency": False, "canary-requests": False}


def test_canary_with_too_few_requests_fails_on_the_request_count_alone(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    # All answered 200 (a fresh server's first answers may be slow, so latency may fail
    # too); the request count fails either way.
    verdicts = evaluate(plans["dev"], scraped.prometheus, IDLE)
    assert verdicts["error-ratio"] is True
    assert verdicts["canary-requests"] is False


def test_podmonitor_that_does_not_honour_the_service_labels_leaves_the_queries_empty(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    # The same healthy server, scraped as the operator does by default: BentoML's
    # endpoint="/predict" is stored as exported_endpoint, so nothing matches.
    assert evaluate(plans["dev"], scraped.prometheus, UNHONOURED) == {
        "error-ratio": False,
        "p95-latency": False,
        "canary-requests": False,
    }
    assert scraped.prometheus.query(
        'count(bentoml_service_request_total{exported_endpoint="/predict", '
        f'rollouts_pod_template_hash="{UNHONOURED}"}})'
    ), "the unhonoured scrape stored nothing at all"


# Dashboard series the service itself exports; the rest come from kube-state-metrics and
# the drift job, which this rehearsal does not run.
SERVICE_SERIES = ("bentoml_service_", "model_info", "model_predictions_", "model_prediction_conf")


def dashboard_queries(plan: Plan) -> list[str]:
    """Every query of the Grafana dashboard as the cluster layer renders it."""
    [config_map] = [
        config_map
        for config_map in plan.kubernetes("ConfigMap")
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    [dashboard] = [json.loads(document) for document in config_map["data"].values()]
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_every_dashboard_query_on_the_service_s_series_finds_them(
    plans: dict[str, Plan], scraped: Scraped
) -> None:
    """The dashboard filters on the labels Prometheus really stores, as the canary does:
    each of its service queries answers from the scraped canaries."""
    queries = [
        query
        for query in dashboard_queries(plans["dev"])
        if any(series in query for series in SERVICE_SERIES)
    ]
    assert len(queries) >= 6
    empty = [query for query in queries if not scraped.prometheus.query(query)]
    assert empty == []


def test_analysis_load_sends_enough_requests_for_every_measurement(plan: Plan) -> None:
    # In a cluster: slo.toml's rate over one measurement window, against the minimum.
    objectives = cloud.canary_analysis.load_objectives()
    window_seconds = int(cloud.canary_analysis.WINDOW.removesuffix("m")) * 60
    assert (
        objectives["canary_analysis_rps"] * window_seconds / 2
        >= objectives["canary_analysis_min_requests"]
    ), "half a window of the analysis load must reach the minimum"


def test_condition_evaluator_follows_argo_semantics() -> None:
    condition = "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.15"
    assert holds(condition, [0.1])
    assert not holds(condition, [0.2])
    assert not holds(condition, [math.nan])
    assert not holds(condition, [])
    assert holds("len(result) > 0 && !isNaN(result[0]) && result[0] >= 600", [600.0])
    assert not holds("len(result) > 0 && !isNaN(result[0]) && result[0] >= 600", [599.0])
