"""The canary analysis rehearsed offline: a real Prometheus scrapes the real service while
Locust drives it, and the exact queries and success conditions of the declared
AnalysisTemplate are evaluated. Healthy passes; faulty fails; no traffic never passes."""

import math
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import bentoml
import httpx
import pytest
import yaml

from harness.local_service import LocalService, running
from tests.infra.conftest import Plan, debian_binary
from tests.locust_run import locust_command, locust_environment
from tests.server_settings import API_KEY, SERVICE

# Argo Rollouts' expression language, as far as the declared conditions use it.
CONDITION_GRAMMAR = re.compile(
    r"^(len\(result\)|result\[0\]|!?isNaN\(result\[0\]\)|&&|[<>=]=?|[\d.]+|\s)+$"
)
TRAFFIC_SECONDS = "20"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def holds(condition: str, result: list[float]) -> bool:
    """Evaluate an Argo successCondition on a query result."""
    assert CONDITION_GRAMMAR.match(condition), (
        f"condition outside the rehearsed grammar: {condition}"
    )
    python = condition.replace("&&", " and ").replace("!isNaN(", " not isNaN(")
    names = {"len": len, "isNaN": math.isnan, "result": result}
    return bool(eval(python, {"__builtins__": {}}, names))  # noqa: S307 (grammar checked above)


class Prometheus:
    def __init__(self, targets: dict[str, str], namespace: str, directory: Path) -> None:
        binary = debian_binary("prometheus")
        jobs = [
            {
                "job_name": canary_hash,
                "static_configs": [
                    {
                        "targets": [target],
                        "labels": {
                            "namespace": namespace,
                            "rollouts_pod_template_hash": canary_hash,
                        },
                    }
                ],
            }
            for canary_hash, target in targets.items()
        ]
        config = directory / "prometheus.yml"
        config.write_text(
            yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": jobs})
        )
        self.url = f"http://127.0.0.1:{free_port()}"
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise TimeoutError("prometheus did not become ready")

    def query(self, promql: str) -> list[float]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=10).json()
        assert body["status"] == "success", body
        return [float(sample["value"][1]) for sample in body["data"]["result"]]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def drive(server: LocalService, report_dir: Path) -> subprocess.Popen:
    command = locust_command(server.url, report_dir, "smoke")
    environment = locust_environment(SMOKE_SECONDS=TRAFFIC_SECONDS)
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def idle_server(
    stored_model: bentoml.Model, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalService]:
    log = tmp_path_factory.mktemp("idle") / "server.log"
    with running(SERVICE, log, settings={"SERVICE_API_KEY": API_KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def scraped(
    plans: dict[str, Plan],
    server: LocalService,
    faulty_server: LocalService,
    idle_server: LocalService,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Prometheus]:
    """Prometheus after Locust has driven the healthy and the faulty service."""
    namespace = plans["dev"].kubernetes("Namespace")[0]["metadata"]["name"]
    targets = {
        name: running.url.removeprefix("http://")
        for name, running in (("healthy", server), ("faulty", faulty_server), ("idle", idle_server))
    }
    prometheus = Prometheus(targets, namespace, tmp_path_factory.mktemp("prometheus"))
    try:
        runs = [
            drive(running, tmp_path_factory.mktemp("locust")) for running in (server, faulty_server)
        ]
        for run in runs:
            run.wait(timeout=120)
        time.sleep(3)  # the last scrapes
        yield prometheus
    finally:
        prometheus.stop()


def evaluate(plan: Plan, prometheus: Prometheus, canary_hash: str) -> dict[str, bool]:
    """Every metric of the declared template, as Argo Rollouts would judge it."""
    template = next(
        t for t in plan.kubernetes("AnalysisTemplate") if t["metadata"]["name"] == "canary-metrics"
    )
    verdicts = {}
    for metric in template["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"].replace(
            "{{args.canary-hash}}", canary_hash
        )
        verdicts[metric["name"]] = holds(metric["successCondition"], prometheus.query(query))
    return verdicts


def test_healthy_canary_passes_the_analysis(plans: dict[str, Plan], scraped: Prometheus) -> None:
    assert evaluate(plans["dev"], scraped, "healthy") == {"error-ratio": True, "p95-latency": True}


def test_faulty_canary_fails_the_analysis(plans: dict[str, Plan], scraped: Prometheus) -> None:
    assert evaluate(plans["dev"], scraped, "faulty") == {"error-ratio": False, "p95-latency": False}


def test_canary_without_traffic_never_passes(plans: dict[str, Plan], scraped: Prometheus) -> None:
    assert evaluate(plans["dev"], scraped, "idle") == {"error-ratio": False, "p95-latency": False}


def test_condition_evaluator_follows_argo_semantics() -> None:
    condition = "len(result) > 0 && !isNaN(result[0]) && result[0] <= 0.15"
    assert holds(condition, [0.1])
    assert not holds(condition, [0.2])
    assert not holds(condition, [math.nan])
    assert not holds(condition, [])
