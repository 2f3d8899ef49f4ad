"""The drift job as the CronJob runs it: every pod's log on the shared volume, the model
from a model store other than BentoML's home (the bento's, in the image), its metrics
pushed to a real Pushgateway with the labels the alert rules select on."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bentoml
import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, NUMERIC_FEATURES
from {{ cookiecutter.package_name }}.json_logging import REQUEST_ID
from {{ cookiecutter.package_name }}.model.dataset import load_dataset
from {{ cookiecutter.package_name }}.monitoring.drift_metrics import (
    EXPORTED,
    PUSH_JOB,
)
from {{ cookiecutter.package_name }}.monitoring.label_log import LabelLog
from {{ cookiecutter.package_name }}.monitoring.prediction_log import (
    PredictionLog,
    PredictionLogSettings,
)
from {{ cookiecutter.package_name }}.monitoring.prediction_window import read_window

from harness.local_service import free_port
from tests.infra.conftest import Plan, debian_binary, planned_alone
from tests.infra.test_alert_rules import case, declared_groups, gauge, run_promtool

CLASSES = ("class-a", "class-b", "class-c")
# The feature the logged traffic shifts.
SHIFTED = NUMERIC_FEATURES[-1]
PODS = ("service-7d9f4c-abcde", "service-7d9f4c-fghij")
# A pod replaced two months ago: its log outlived the stack's retention.
DEPARTED_POD = "service-5b8e2a-klmno"
TWO_MONTHS_AGO = time.time() - 60 * 86_400
# A metric selector with equality matchers only, as the alert rules write them.
SELECTOR = re.compile(r"(model_\w+)\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)="([^"]*)"')


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = debian_binary("prometheus-pushgateway", package="prometheus-pushgateway")
    url = f"http://127.0.0.1:{free_port()}"
    # Debian's build persists to a shared file by default: start from an empty one.
    persistence = tmp_path_factory.mktemp("pushgateway") / "metrics"
    process = subprocess.Popen(
        [
            binary,
            f"--web.listen-address={url.removeprefix('http://')}",
            f"--persistence.file={persistence}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready(url):
            assert time.monotonic() < deadline, "the Pushgateway did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def log_traffic(directory: Path, rows: np.ndarray) -> None:
    """Log `rows` the way a service pod does, with the real prediction log, one request of
    three records at a time; and, as a client would later, their true labels: all right."""
    settings = PredictionLogSettings.model_validate({"prediction_log_dir": directory})
    log = PredictionLog(settings, CLASSES)
    truth = []
    for index, request in enumerate(np.array_split(rows, max(1, len(rows) // 3))):
        request_id = f"{directory.name}-{index}"
        token = REQUEST_ID.set(request_id)
        probabilities = np.tile(np.array([0.9, 0.08, 0.02], dtype=np.float32), (len(request), 1))
        labels = [CLASSES[0]] * len(request)
        log.submit("model:test", request.astype(np.float32), labels, probabilities)
        REQUEST_ID.reset(token)
        truth += [(request_id, record, CLASSES[0]) for record in range(len(request))]
    log.close()
    LabelLog(settings).append(truth)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return planned_alone("dev-cluster", tmp_path_factory.mktemp("plan"))


def app_namespace(plan: Plan) -> str:
    return plan.kubernetes("Namespace")[0]["metadata"]["name"]


@pytest.fixture(scope="module")
def shared_volume(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """Two pods' logs, each in its own subdirectory, one feature shifted: drift."""
    volume = tmp_path_factory.mktemp("predictions")
    traffic = load_dataset().features_test.copy()
    column = FEATURE_NAMES.index(SHIFTED)
    traffic[:, column] += traffic[:, column].std() * 3
    for pod, rows in zip(PODS, np.array_split(traffic, len(PODS)), strict=True):
        log_traffic(volume / pod, rows)
    log_traffic(volume / DEPARTED_POD, traffic[:5])
    for path in [*(volume / DEPARTED_POD).iterdir(), volume / DEPARTED_POD]:
        os.utime(path, (TWO_MONTHS_AGO, TWO_MONTHS_AGO))
    return volume, len(traffic)


# Runs a module as `python -m` does, refusing what the service's image does not hold: the
# job must run from it (tests/delivery/test_bento.py lists what it holds).
NOT_IN_THE_IMAGE = ("sklearn", "scipy", "pandas", "evidently", "onnx", "skl2onnx", "pulumi")
IMAGE_IMPORTS_ONLY = """
import runpy, sys
_, refused, *sys.argv = sys.argv
class NotInTheImage:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in refused.split(","):
            raise ImportError(name + " is not in the service's image")
sys.meta_path.insert(0, NotInTheImage())
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def cron_job_command(plan: Plan, local: dict[str, str]) -> list[str]:
    """The command the planned CronJob runs, with its paths and URL replaced by `local`,
    and only the imports the image can satisfy."""
    [cron_job] = [
        job for job in plan.kubernetes("CronJob") if job["metadata"]["name"].endswith("drift-job")
    ]
    [container] = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    python, flag, module = container["command"]
    assert (python, flag) == ("python", "-m")
    arguments = list(container["args"])
    for option, value in local.items():
        arguments[arguments.index(option) + 1] = value
    refused = ",".join(NOT_IN_THE_IMAGE)
    return [sys.executable, "-c", IMAGE_IMPORTS_ONLY, refused, module, *arguments]


@pytest.fixture(scope="module")
def pushed(
    stored_model: bentoml.Model,
    shared_volume: tuple[Path, int],
    pushgateway: str,
    plan: Plan,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    """Run the CronJob's command against the local volume, model store and Pushgateway."""
    volume, _ = shared_volume
    output = tmp_path_factory.mktemp("drift")
    home = output / "bentoml-home-never-created"
    local = {
        "--log-dir": str(volume),
        "--output": str(output / "report"),
        "--model-store": str(Path(os.environ["BENTOML_HOME"]) / "models"),
        "--pushgateway": pushgateway,
    }
    result = subprocess.run(
        [*cron_job_command(plan, local), "--min-rows", "10", "--min-labelled-rows", "10"],
        env={**os.environ, "BENTOML_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    metrics = httpx.get(f"{pushgateway}/metrics", timeout=10).text
    return {"stdout": result.stdout, "home": home, "metrics": metrics}


def pushed_values(metrics: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name.startswith("model_")
    ]


def pushed_samples(metrics: str) -> list[tuple[str, dict[str, str]]]:
    return [(name, labels) for name, labels, _ in pushed_values(metrics)]


def test_the_job_reads_every_pods_log_and_the_model_without_a_bentoml_home(
    pushed: dict, shared_volume: tuple[Path, int]
) -> None:
    _, rows = shared_volume
    assert f"rows compared: {rows} " in pushed["stdout"]
    assert "Drift verdict: DRIFT" in pushed["stdout"]
    assert SHIFTED in pushed["stdout"].split("Drifted features:")[1]
    # The image's root filesystem is read-only: the job must not need a BentoML home.
    assert not pushed["home"].exists()


def test_the_job_first_deletes_what_the_stacks_retention_no_longer_allows(
    pushed: dict, shared_volume: tuple[Path, int]
) -> None:
    volume, _ = shared_volume
    # Its predictions and the true labels sent for them.
    assert "Retention: deleted 2 files" in pushed["stdout"]
    assert "and 1 empty pod folders" in pushed["stdout"]
    assert sorted(path.name for path in volume.iterdir()) == sorted(PODS)


def test_the_job_pushes_every_exported_metric_under_its_job_and_the_apps_namespace(
    pushed: dict, plan: Plan
) -> None:
    samples = pushed_samples(pushed["metrics"])
    assert {name for name, _ in samples} == set(EXPORTED)
    assert all(labels["namespace"] == app_namespace(plan) for _, labels in samples)
    assert all(labels["job"] == PUSH_JOB for _, labels in samples)


def test_every_drift_alert_selects_series_the_job_pushed(plan: Plan, pushed: dict) -> None:
    """With honorLabels, Prometheus keeps the pushed labels: these are what it stores."""
    [rule] = plan.kubernetes("PrometheusRule")
    expressions = [r["expr"] for group in rule["spec"]["groups"] for r in group["rules"]]
    drift_selectors = [
        (name, dict(MATCHER.findall(matchers)))
        for expression in expressions
        for name, matchers in SELECTOR.findall(expression)
        if name in EXPORTED
    ]
    samples = pushed_samples(pushed["metrics"])

    assert {name for name, _ in drift_selectors} >= {
        "model_feature_drifted",
        "model_drift_share",
        "model_drift_last_run_timestamp_seconds",
        "model_drift_enough_data",
    }
    for name, matchers in drift_selectors:
        assert any(
            sample == name and matchers.items() <= labels.items() for sample, labels in samples
        ), f"no pushed series matches {name}{matchers}"


def test_alerts_fire_on_what_the_job_pushed_and_only_those(
    plan: Plan, pushed: dict, tmp_path: Path
) -> None:
    """promtool evaluates the declared rules over the pushed series, held for four hours."""
    groups = declared_groups(plan)
    series = [
        gauge(name, f"{value:.17g}", **labels)
        for name, labels, value in pushed_values(pushed["metrics"])
    ]
    firing = {"ModelFeatureDrift": [{"feature": SHIFTED}]}
    output = run_promtool(tmp_path, groups, [case(groups, series, firing)])
    assert "SUCCESS" in output


def test_files_last_written_before_the_window_are_not_read(tmp_path: Path) -> None:
    """Folders of pods long gone stay on the volume; reading them would slow every run."""
    rows = load_dataset().features_test[:5]
    log_traffic(tmp_path / "pod-gone", rows)
    log_traffic(tmp_path / "pod-live", rows)
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (tmp_path / "pod-gone").iterdir():
        os.utime(path, (two_days_ago, two_days_ago))

    window = read_window(tmp_path, datetime.now(UTC) - timedelta(hours=24), max_rows=1000)

    assert window.rows == len(rows)
