"""A step that talks to the cluster says why it failed: each cause its own sentence, in
the log and the job summary, with kubectl's words as they are printed in each case."""

import io
from pathlib import Path

import pytest

from cluster_error import explain, main

# What kubectl and the Argo Rollouts plugin print in each case.
OUTPUTS = {
    "unreachable": ("Unable to connect to the server: dial tcp 10.20.1.7:443: i/o timeout"),
    "unauthorized": (
        "error: You must be logged in to the server (the server has asked for the client "
        "to provide credentials)"
    ),
    "missing": ('Error from server (NotFound): rollouts.argoproj.io "iris-classifier" not found'),
    "aborted": (
        "Paused - CanaryPauseStep\nDegraded - RolloutAborted: Rollout aborted update to "
        'revision 4: Metric "error-ratio" assessed Failed due to failed (1) > failureLimit (0)'
    ),
    "timed out": "Progressing - more replicas need to be updated\nError: timed out",
}


@pytest.mark.parametrize(("cause", "output"), OUTPUTS.items(), ids=list(OUTPUTS))
def test_each_failure_is_told_apart(cause: str, output: str) -> None:
    found = explain(output)
    assert found is not None
    assert found.name == cause


def test_a_cluster_without_argo_rollouts_yet_is_a_first_release_too() -> None:
    """A new cluster whose layer was never applied: the first release applies it."""
    output = 'error: the server doesn\'t have a resource type "rollout"'
    assert explain(output).name == "missing"


def test_a_refused_role_inside_the_namespace_is_unauthorized_too() -> None:
    output = (
        'Error from server (Forbidden): rollouts.argoproj.io "iris-classifier" is forbidden: '
        'User "deployer" cannot get resource "rollouts" in API group "argoproj.io"'
    )
    assert explain(output).name == "unauthorized"


def test_the_sentence_reaches_the_log_and_the_job_summary(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setattr("sys.stdin", io.StringIO(OUTPUTS["missing"]))

    assert main([]) == 1

    printed = capsys.readouterr().out
    assert printed.startswith("::error::The Rollout does not exist.")
    assert summary.read_text() == printed.removeprefix("::error::")


@pytest.mark.parametrize(("cause", "output"), [*OUTPUTS.items(), ("unknown", "segfault")])
def test_with_cause_it_names_the_cause_and_succeeds(
    cause: str, output: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Delivery's first step tells a first release (missing) from every failure."""
    monkeypatch.setattr("sys.stdin", io.StringIO(output))
    assert main(["--cause"]) == 0
    assert capsys.readouterr().out == f"{cause}\n"


def test_an_unknown_failure_quotes_kubectls_last_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("some context\nerror: the plugin crashed"))

    assert main([]) == 1
    assert "error: the plugin crashed" in capsys.readouterr().out
