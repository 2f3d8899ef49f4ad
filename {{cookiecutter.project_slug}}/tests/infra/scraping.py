"""Prometheus scraping the app's pods the way the prometheus-operator sets it up from the
declared PodMonitor, for the offline rehearsals: the same target labels (namespace, pod,
container, endpoint=<port name>, job=<namespace>/<name>, podTargetLabels) and the same
`honor_labels`, so a query that would match nothing in a cluster matches nothing here."""

import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.infra.conftest import Plan, debian_binary


@dataclass(frozen=True)
class Pod:
    """A pod of the declared Rollout, served at `address` (host:port) here."""

    name: str
    namespace: str
    labels: dict[str, str]
    container: str
    port_names: tuple[str, ...]
    address: str


def sanitized(name: str) -> str:
    """A Kubernetes label name as a Prometheus label name, as the operator writes it."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def pod_monitor(plan: Plan) -> dict[str, Any]:
    [declared] = plan.kubernetes("PodMonitor")
    return declared


def rollout_pod(plan: Plan, template_hash: str, address: str) -> Pod:
    """A pod the Rollout would create for `template_hash`, with its labels, container
    and port names as declared."""
    [rollout] = plan.kubernetes("Rollout")
    template = rollout["spec"]["template"]
    [container] = template["spec"]["containers"]
    return Pod(
        name=f"{rollout['metadata']['name']}-{template_hash}-x1",
        namespace=rollout["metadata"]["namespace"],
        labels={**template["metadata"]["labels"], "rollouts-pod-template-hash": template_hash},
        container=container["name"],
        port_names=tuple(port["name"] for port in container.get("ports", [])),
        address=address,
    )


def target_labels(monitor: dict[str, Any], endpoint: dict[str, Any], pod: Pod) -> dict | None:
    """The labels the operator's relabelling gives `pod` as a target of `endpoint`, or
    None if the PodMonitor does not select it (labels or port name)."""
    selector = monitor["spec"]["selector"].get("matchLabels", {})
    if any(pod.labels.get(key) != value for key, value in selector.items()):
        return None
    if endpoint["port"] not in pod.port_names:
        return None
    metadata = monitor["metadata"]
    labels = {
        "namespace": pod.namespace,
        "container": pod.container,
        "pod": pod.name,
        "job": f"{metadata['namespace']}/{metadata['name']}",
        "endpoint": endpoint["port"],
    }
    for name in monitor["spec"].get("podTargetLabels", []):
        if pod.labels.get(name):
            labels[sanitized(name)] = pod.labels[name]
    return labels


def stored_labels(target: dict[str, str], scraped: dict[str, str], honor: bool) -> dict:
    """A scraped series' labels as Prometheus stores them: on a clash the scraped label
    wins with honor_labels, else the target's wins and the scraped one becomes
    exported_<name>."""
    if honor:
        return {**target, **scraped}
    stored = {key: value for key, value in scraped.items() if key not in target}
    stored |= {f"exported_{key}": value for key, value in scraped.items() if key in target}
    return stored | target


def scrape_configs(monitor: dict[str, Any], pods: list[Pod], interval: str) -> list[dict]:
    """The PodMonitor as Prometheus scrape jobs, one per endpoint (the operator's job
    names), its targets static with the labels the operator's relabelling produces."""
    metadata = monitor["metadata"]
    jobs = []
    for index, endpoint in enumerate(monitor["spec"]["podMetricsEndpoints"]):
        targets = [(pod, target_labels(monitor, endpoint, pod)) for pod in pods]
        jobs.append(
            {
                "job_name": f"podMonitor/{metadata['namespace']}/{metadata['name']}/{index}",
                "honor_labels": endpoint.get("honorLabels", False),
                "metrics_path": endpoint.get("path", "/metrics"),
                "scrape_interval": interval,
                # The operator copies the monitor's limit into every job it generates.
                **(
                    {"sample_limit": monitor["spec"]["sampleLimit"]}
                    if "sampleLimit" in monitor["spec"]
                    else {}
                ),
                "static_configs": [
                    {"targets": [pod.address], "labels": labels}
                    for pod, labels in targets
                    if labels is not None
                ],
            }
        )
    return jobs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Prometheus:
    """The real Prometheus (Debian's), scraping every second."""

    def __init__(self, scrape_configs: list[dict], directory: Path) -> None:
        binary = debian_binary("prometheus")
        config = directory / "prometheus.yml"
        config.write_text(
            yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": scrape_configs})
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
        self.stop()
        raise TimeoutError("prometheus did not become ready")

    def query(self, promql: str, at: float | None = None) -> list[float]:
        params = {"query": promql} | ({"time": str(at)} if at is not None else {})
        body = httpx.get(f"{self.url}/api/v1/query", params=params, timeout=10).json()
        assert body["status"] == "success", body
        return [float(sample["value"][1]) for sample in body["data"]["result"]]

    def wait_for_scrapes(self, count: int = 2, timeout: float = 30) -> None:
        """Until every target has been scraped `count` times more."""
        deadline = time.monotonic() + timeout
        first = self.scrape_count()
        while self.scrape_count() < first + count:
            assert time.monotonic() < deadline, "prometheus stopped scraping"
            time.sleep(0.2)

    def scrape_count(self) -> float:
        samples = self.query("count_over_time(up[1h])")
        return min(samples) if samples else 0.0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
