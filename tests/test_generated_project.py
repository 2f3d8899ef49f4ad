"""The generated project passes its own `make test` right after baking: lint, unit tests,
training, and HTTP tests against its real BentoML server."""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PYTHON_VERSIONS, bake

# Both runs together take about 15 minutes on two cores; a stuck one is stopped after this.
MAKE_TEST_TIMEOUT_SECONDS = 2400
# A breast-cancer classifier's model folder: six features (floats, an integer, a category),
# two classes.
ANOTHER_MODEL = Path(__file__).parent / "another_model"
# How the project's tests say they skip a kind of feature the model lacks.
MODEL_HAS_NO = "the model has no "


def find_interpreter(version: str) -> str | None:
    """A working local Python of this version: on PATH, or installed by pyenv but not
    activated (its shim then fails). uv would otherwise download one, and this test
    must pass without internet access."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        shutil.which(f"python{version}"),
        *map(
            str, sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
        ),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    return None


def project_environment(interpreter: str) -> dict[str, str]:
    """The baked project builds its own uv environment; the template's must not leak in."""
    environment = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    return {**environment, "UV_PYTHON": interpreter}


@dataclass
class MakeTest:
    """`make test` running in a baked project, its output going to files (two pipes
    read one after the other could fill and stall the other run)."""

    process: subprocess.Popen | None  # None: no such Python here
    python_version: str
    stdout: Path
    stderr: Path
    deadline: float = 0.0

    def output(self) -> tuple[int, str, str]:
        if self.process is None:
            pytest.skip(f"no Python {self.python_version} on this machine (PATH or pyenv)")
        try:
            returncode = self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        return returncode, self.stdout.read_text(), self.stderr.read_text()


def start_make_test(project: Path, python_version: str, logs: Path) -> MakeTest:
    """Start the project's `make test` with a local Python of this version."""
    run = MakeTest(None, python_version, logs / "stdout", logs / "stderr")
    run.deadline = time.monotonic() + MAKE_TEST_TIMEOUT_SECONDS
    interpreter = find_interpreter(python_version)
    if interpreter is not None:
        with run.stdout.open("w") as stdout, run.stderr.open("w") as stderr:
            run.process = subprocess.Popen(
                # One process each: the runs share the machine, and the load tests' latency
                # objectives hold on two cores for two suites at once, not for four.
                ["make", "test", "PYTEST_WORKERS="],
                cwd=project,
                env=project_environment(interpreter),
                stdout=stdout,
                stderr=stderr,
                text=True,
            )
    return run


def assert_passed(run: MakeTest) -> None:
    """Every test ran and passed."""
    returncode, stdout, stderr = run.output()
    output = stdout + stderr
    # pytest's report is on stdout; stderr holds uv's install log, which says little.
    assert returncode == 0, stdout[-6000:] + stderr[-1000:]
    summary = re.search(r"=+ (\d+) passed(?:, [^=]*)? in [\d.]+s", output)
    assert summary, output[-2000:]
    assert " failed" not in summary.group(0)
    if os.environ.get("CRD_SCHEMA_DIR"):
        # With CRD schemas at hand every test runs, but those of a kind of feature the
        # model does not have (the iris model has floats only).
        skips = re.findall(r"^SKIPPED \[\d+\] \S+: (.*)$", output, re.MULTILINE)
        unexpected = [reason for reason in skips if not reason.startswith(MODEL_HAS_NO)]
        assert not unexpected, unexpected
    version = run.python_version
    assert f"Python {version}" in output or f"python{version}" in output


@pytest.fixture(scope="module")
def make_tests(
    cookies_session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, MakeTest]]:
    """Every project's `make test`, started together: each suite alone leaves part of the
    machine idle while its last, longest tests finish."""
    runs = {}
    # Each supported Python runs `make test` once: the newest with another model (a third
    # run of the whole suite would cost as much again).
    for version in PYTHON_VERSIONS[:-1]:
        project = bake(
            cookies_session, project_name="Détection Ünïque des Fleurs", python_version=version
        )
        runs[version] = start_make_test(project, version, tmp_path_factory.mktemp("make-test"))
    # What a team does first (docs/your-model.md): another data set, other features,
    # another number of classes, another name; no test, Makefile line or setting edited.
    project = bake(
        cookies_session, project_name="Tumour Screening", python_version=PYTHON_VERSIONS[-1]
    )
    model = project / "service" / "tumour_screening" / "model"
    # The four files a team edits; the folder's __init__.py stays.
    for name in ("model.toml", "record.py", "dataset.py", "pipeline.py"):
        shutil.copy(ANOTHER_MODEL / name, model / name)
    runs[ANOTHER_MODEL.name] = start_make_test(
        project, PYTHON_VERSIONS[-1], tmp_path_factory.mktemp("make-test")
    )
    yield runs
    for run in runs.values():
        if run.process is not None and run.process.poll() is None:
            run.process.kill()


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS[:-1])
def test_baked_project_passes_its_own_make_test(
    make_tests: dict[str, MakeTest], python_version: str
) -> None:
    assert_passed(make_tests[python_version])


def test_another_model_passes_make_test_with_only_the_model_folder_replaced(
    make_tests: dict[str, MakeTest],
) -> None:
    assert_passed(make_tests[ANOTHER_MODEL.name])
