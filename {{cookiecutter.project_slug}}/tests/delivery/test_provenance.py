"""Build provenance: written from the run that builds, checked before every deploy. Only
provenance for this digest, from this repository's main branch, built by delivery at the
commit being delivered is accepted; anything else is refused naming the field."""

import base64
import io
import json

import pytest

from provenance import main

DIGEST = "sha256:" + "5e" * 32
IMAGE = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-classifier-prod@{DIGEST}"
COMMIT = "3d3c42e5aac5ba805825da76410c181273ba90b1"
# What GitHub sets in a job of deploy.yml, which calls build.yml and deliver.yml.
RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/iris-classifier",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_SHA": COMMIT,
    "GITHUB_WORKFLOW_REF": "acme/iris-classifier/.github/workflows/deploy.yml@refs/heads/main",
    "GITHUB_RUN_ID": "123",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_EVENT_NAME": "push",
    "RUNNER_ENVIRONMENT": "github-hosted",
}


@pytest.fixture(autouse=True)
def in_a_delivery_run(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in RUN.items():
        monkeypatch.setenv(name, value)


def written(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], **run) -> dict:
    for name, value in run.items():
        monkeypatch.setenv(name, value)
    assert main(["write"]) == 0
    predicate = json.loads(capsys.readouterr().out)
    for name in run:
        monkeypatch.setenv(name, RUN[name])
    return predicate


def envelope(
    predicate: dict, digest: str = DIGEST, kind: str = "https://slsa.dev/provenance/v1"
) -> str:
    """One line of `cosign verify-attestation` output: a DSSE envelope of an in-toto statement."""
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": kind,
        "subject": [
            {
                "name": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-classifier-dev",
                "digest": {"sha256": digest.removeprefix("sha256:")},
            }
        ],
        "predicate": predicate,
    }
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps(
        {
            "payload": payload,
            "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": "MEUCIQ"}],
        }
    )


def checked(
    lines: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code = main(["check", "--image", IMAGE])
    return code, capsys.readouterr().out


def test_what_the_build_wrote_is_accepted_in_production_s_registry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    predicate = written(monkeypatch, capsys)
    code, out = checked([envelope(predicate)], monkeypatch, capsys)

    assert code == 0, out
    assert out == f"Provenance: {IMAGE} was built from {COMMIT} on main.\n"
    assert predicate["runDetails"]["builder"]["id"] == (
        "https://github.com/acme/iris-classifier/.github/workflows/deploy.yml@refs/heads/main"
    )
    assert predicate["runDetails"]["metadata"]["invocationId"].endswith("/runs/123/attempts/1")


@pytest.mark.parametrize(
    ("run", "refused"),
    [
        (
            {"GITHUB_REPOSITORY": "mallory/iris-classifier"},
            "repository is 'https://github.com/mallory",
        ),
        ({"GITHUB_REF": "refs/heads/feature"}, "ref is 'refs/heads/feature'"),
        (
            {"GITHUB_WORKFLOW_REF": "acme/iris-classifier/.github/workflows/ci.yml@refs/heads/x"},
            "workflow is '.github/workflows/ci.yml'",
        ),
        ({"GITHUB_SHA": "0" * 40}, f"commit is '{'0' * 40}', expected '{COMMIT}'"),
    ],
    ids=["another repository", "another branch", "another workflow", "another commit"],
)
def test_provenance_of_another_build_is_refused_naming_the_field(
    run: dict, refused: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GITHUB_REPOSITORY also moves the workflow ref's prefix; keep the path the same.
    if "GITHUB_REPOSITORY" in run:
        run["GITHUB_WORKFLOW_REF"] = (
            f"{run['GITHUB_REPOSITORY']}/.github/workflows/deploy.yml@refs/heads/main"
        )
    code, out = checked([envelope(written(monkeypatch, capsys, **run))], monkeypatch, capsys)

    assert code == 1
    assert out.startswith(f"::error::Refusing {IMAGE}: ")
    assert refused in out


def test_provenance_of_another_digest_or_another_kind_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    predicate = written(monkeypatch, capsys)
    other = "sha256:" + "00" * 32
    code, out = checked(
        [envelope(predicate, digest=other), envelope(predicate, kind="https://spdx.dev/Document")],
        monkeypatch,
        capsys,
    )

    assert code == 1
    assert f"do not include {DIGEST}" in out
    assert "predicateType is 'https://spdx.dev/Document'" in out


def test_one_good_attestation_among_others_is_enough(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    predicate = written(monkeypatch, capsys)
    code, _ = checked(
        [envelope(predicate, digest="sha256:" + "00" * 32), envelope(predicate)],
        monkeypatch,
        capsys,
    )
    assert code == 0


def test_no_attestation_is_a_refusal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = checked([], monkeypatch, capsys)
    assert (code, out) == (1, f"::error::Refusing {IMAGE}: no provenance attestation.\n")


def test_writing_outside_github_actions_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA")
    with pytest.raises(SystemExit, match="GITHUB_SHA is not set"):
        main(["write"])
