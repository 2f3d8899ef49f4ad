"""`make bento` builds what the image is made of: the package, the runtime pins from
uv.lock (serving, plus the drift job's `monitoring` group) and the model, with a
Dockerfile that fits the pods the Pulumi program declares. The bento then serves from an
empty BentoML home, as it does in the image."""

import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import bentoml
import httpx
import pytest

from cloud.drift_cron_job import BENTO_MODEL_STORE
from cloud.service_pod import PORT, RUN_AS_USER
from harness.local_service import LocalService, running
from tests.delivery.workflows import PROJECT
from tests.records import EXAMPLE
from tests.server_settings import API_KEY, KEYS_SETTING

CONTEXT = PROJECT / "build" / "bento"
# The drift job runs from the same image on NumPy alone (monitoring/statistics.py).
TRAINING_AND_TOOLING = {
    *("pulumi", "locust", "pytest", "onnx", "skl2onnx", "scikit-learn", "scipy", "pandas"),
}


@pytest.fixture(scope="module")
def bento(stored_model: bentoml.Model) -> Path:
    result = subprocess.run(
        ["make", "--no-print-directory", "bento", f"BENTOML_HOME={os.environ['BENTOML_HOME']}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return CONTEXT


@pytest.fixture(scope="module")
def bento_server(bento: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    with running(
        str(bento),
        tmp_path_factory.mktemp("bento") / "server.log",
        settings=KEYS_SETTING,
        share_model_store=False,
    ) as server:
        yield server


def test_the_bento_carries_the_stored_model(bento: Path, stored_model: bentoml.Model) -> None:
    name, version = str(stored_model.tag).split(":")
    assert (bento / "models" / name / version / "model.onnx").is_file()


def test_the_image_runs_as_the_pods_non_root_user_on_the_pods_port(bento: Path) -> None:
    dockerfile = (bento / "env" / "docker" / "Dockerfile").read_text()
    python_version = (PROJECT / ".python-version").read_text().strip()

    assert f"ARG BENTO_USER_UID={RUN_AS_USER}" in dockerfile
    assert dockerfile.rstrip().splitlines()[-1].startswith("ENTRYPOINT")
    assert re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)[-1] == "bentoml"
    assert f"EXPOSE {PORT}" in dockerfile
    assert f"FROM python:{python_version}-slim" in dockerfile
    # The drift CronJob reads the served model from the bento's model store.
    assert f"ARG BENTO_PATH={BENTO_MODEL_STORE.removesuffix('/models')}" in dockerfile
    assert (bento / "models").is_dir()


def test_the_image_installs_the_locked_runtime_and_nothing_for_training(
    bento: Path,
) -> None:
    lock = tomllib.loads((PROJECT / "uv.lock").read_text())
    locked = {package["name"]: package.get("version") for package in lock["package"]}
    requirements = (bento / "env" / "python" / "requirements.txt").read_text().splitlines()
    pins = dict(
        re.split(r"[ ;]", line)[0].split("==")
        for line in requirements
        if "==" in line and not line.startswith("#")
    )

    assert pins["bentoml"] == locked["bentoml"] and pins["onnxruntime"] == locked["onnxruntime"]
    assert all(locked.get(name) == version for name, version in pins.items())
    assert not TRAINING_AND_TOOLING & set(pins)
    assert list((bento / "env" / "python" / "wheels").glob("*.whl"))


def test_every_requirement_the_image_installs_is_pinned_by_its_hashes(bento: Path) -> None:
    text = (bento / "env" / "python" / "requirements.txt").read_text()
    entries = [
        entry.strip()
        for entry in text.replace("\\\n", " ").splitlines()
        if entry.strip() and not entry.lstrip().startswith("#")
    ]
    locked = tomllib.loads((PROJECT / "uv.lock").read_text())["package"]
    bentoml_version = next(package["version"] for package in locked if package["name"] == "bentoml")

    unhashed = [entry for entry in entries if "--hash=sha256:" not in entry]
    # BentoML appends a bare pin of itself; the lock's own bentoml line carries hashes.
    assert unhashed == [f"bentoml=={bentoml_version}"]
    assert len(entries) > 50


def test_the_image_installs_no_compiler_and_no_download_tools(bento: Path) -> None:
    dockerfile = (bento / "env" / "docker" / "Dockerfile").read_text()
    for tool in ("apt-get", "build-essential", "curl", "gnupg"):
        assert tool not in dockerfile


def test_the_bento_serves_predictions_with_no_model_store_of_its_own(
    bento_server: LocalService, stored_model: bentoml.Model
) -> None:
    response = httpx.post(
        f"{bento_server.url}/predict",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={"records": [EXAMPLE]},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    [prediction] = response.json()["predictions"]
    assert response.json()["model_version"] == str(stored_model.tag)
    assert prediction["label"] == max(
        prediction["probabilities"], key=prediction["probabilities"].get
    )
    assert list(prediction["probabilities"]) == stored_model.info.metadata["class_names"]
