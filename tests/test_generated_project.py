"""The generated project passes its own `make test` right after baking: lint, unit tests,
training, and HTTP tests against its real BentoML server."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON_VERSIONS, bake

MAKE_TEST_TIMEOUT_SECONDS = 900
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


def passes_make_test(project: Path, python_version: str) -> None:
    """Run the project's `make test` with a local Python of this version; assert that
    every test ran and passed."""
    interpreter = find_interpreter(python_version)
    if interpreter is None:
        pytest.skip(f"no Python {python_version} on this machine (PATH or pyenv)")
    result = subprocess.run(
        ["make", "test"],
        cwd=project,
        env=project_environment(interpreter),
        capture_output=True,
        text=True,
        timeout=MAKE_TEST_TIMEOUT_SECONDS,
    )

    output = result.stdout + result.stderr
    # pytest's report is on stdout; stderr holds uv's install log, which says little.
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-1000:]
    summary = re.search(r"=+ (\d+) passed(?:, [^=]*)? in [\d.]+s", output)
    assert summary, output[-2000:]
    assert " failed" not in summary.group(0)
    if os.environ.get("CRD_SCHEMA_DIR"):
        # With CRD schemas at hand every test runs, but those of a kind of feature the
        # model does not have (the iris model has floats only).
        skips = re.findall(r"^SKIPPED \[\d+\] \S+: (.*)$", output, re.MULTILINE)
        unexpected = [reason for reason in skips if not reason.startswith(MODEL_HAS_NO)]
        assert not unexpected, unexpected
    assert f"Python {python_version}" in output or f"python{python_version}" in output


# Each supported Python runs `make test` once: the newest with another model (a third
# run of the whole suite would add six minutes to CI).
@pytest.mark.parametrize("python_version", PYTHON_VERSIONS[:-1])
def test_baked_project_passes_its_own_make_test(cookies, python_version: str) -> None:
    project = bake(
        cookies, project_name="Détection Ünïque des Fleurs", python_version=python_version
    )
    passes_make_test(project, python_version)


def test_another_model_passes_make_test_with_only_the_model_folder_replaced(cookies) -> None:
    """What a team does first (docs/your-model.md): another data set, other features,
    another number of classes, another name; no test, Makefile line or setting edited."""
    project = bake(cookies, project_name="Tumour Screening", python_version=PYTHON_VERSIONS[-1])
    model = project / "service" / "tumour_screening" / "model"
    # The four files a team edits; the folder's __init__.py stays.
    for name in ("model.toml", "record.py", "dataset.py", "pipeline.py"):
        shutil.copy(ANOTHER_MODEL / name, model / name)
    passes_make_test(project, PYTHON_VERSIONS[-1])
