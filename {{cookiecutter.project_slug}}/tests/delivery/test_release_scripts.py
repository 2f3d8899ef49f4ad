"""The scripts around a release, run with kubectl, aws and cosign replaced by recorders on
PATH that answer as the real tools do: what each script asks of them, in which order, and
how it ends."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.delivery.workflows import PROJECT

DELIVERY = PROJECT / "delivery"
STAGING = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-classifier-dev"
PRODUCTION = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-classifier-prod"
DIGEST = "sha256:" + "5e" * 32
COMMIT = "3d3c42e5aac5ba805825da76410c181273ba90b1"

# Each fake appends its arguments to calls.log and answers from the environment.
FAKE = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "${CALLS}"
%s
"""
KUBECTL = """
here="${CALLS%/*}"
case "$*" in
  *"get analysistemplate"*) cat "${here}/template.json" ;;
  *"get rollout"*) cat "${here}/rollout.json" ;;
  "create --filename "*) cp "$3" "${here}/created.json"; echo "${RUN_NAME}" ;;
  *"get analysisrun"*)
    count=$(cat "${here}/polls" 2>/dev/null || echo 0); echo $((count + 1)) > "${here}/polls"
    if [ "$count" -lt 1 ]; then echo Running; else echo "${GATE_PHASE}"; fi ;;
esac
"""
# What the cluster holds for the first-release gate.
GATE_TEMPLATE = {"metadata": {"name": "locust-gate"}, "spec": {"metrics": [{"name": "gate"}]}}
LIVE_ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "metadata": {"name": "iris-classifier", "namespace": "iris-classifier", "uid": "u-1"},
}
RUN_NAME = "analysisrun.argoproj.io/iris-classifier-first-release-x7k2p"


# cosign verify-attestation prints one DSSE envelope per line; COSIGN_FAILS makes a
# command fail as cosign does on a bad or missing signature.
COSIGN = """
case "$1" in "${COSIGN_FAILS:-none}") echo "Error: no matching signatures" >&2; exit 1 ;; esac
if [ "$1" = verify-attestation ] && [[ "$*" == *"--type slsaprovenance1"* ]]; then
  cat "${ENVELOPE}"
fi
"""
# What GitHub sets in the delivery run whose build made the image.
RUN = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/iris-classifier",
    "GITHUB_REF": "refs/heads/main",
    "GITHUB_WORKFLOW_REF": "acme/iris-classifier/.github/workflows/deploy.yml@refs/heads/main",
    "GITHUB_RUN_ID": "123",
    "GITHUB_RUN_ATTEMPT": "1",
    "GITHUB_EVENT_NAME": "push",
}


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"kubectl": KUBECTL, "aws": "", "cosign": COSIGN, "sleep": ""}.items():
        fake = bin_dir / name
        fake.write_text(FAKE % body)
        fake.chmod(0o755)
    (tmp_path / "template.json").write_text(json.dumps(GATE_TEMPLATE))
    (tmp_path / "rollout.json").write_text(json.dumps(LIVE_ROLLOUT))
    return {
        "RUN_NAME": RUN_NAME,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls.log"),
        "ROLLOUT_NAME": "iris-classifier",
        "APP_NAMESPACE": "iris-classifier",
        "RELEASE_RECORD": "/iris-classifier/dev/released-image",
        "IMAGE_SIGNING_KEY": "awskms:///alias/iris-classifier-image-signing",
        "GITHUB_SHA": COMMIT,
        "ENVELOPE": str(tmp_path / "envelope.json"),
        **RUN,
    }


def run(script: str, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DELIVERY / script, *arguments], env=environment, capture_output=True, text=True
    )


def calls(tools: dict[str, str]) -> list[str]:
    log = Path(tools["CALLS"])
    return log.read_text().splitlines() if log.exists() else []


def test_staging_deploys_what_build_pushed_without_copying(tools: dict[str, str]) -> None:
    result = run("promote-image.sh", f"{STAGING}@{DIGEST}", ECR_REPOSITORY_URL=STAGING, **tools)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{STAGING}@{DIGEST}\n"
    assert calls(tools) == []


def test_production_copies_the_same_digest_with_its_signatures(tools: dict[str, str]) -> None:
    result = run("promote-image.sh", f"{STAGING}@{DIGEST}", ECR_REPOSITORY_URL=PRODUCTION, **tools)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PRODUCTION}@{DIGEST}\n"
    # cosign copy takes .sig and .att along by default; --force rewrites only those tags,
    # which the registry lets move (infra/cloud/registry.py).
    assert calls(tools) == [
        f"cosign copy --k8s-keychain --force {STAGING}@{DIGEST} {PRODUCTION}:{COMMIT}"
    ]


@pytest.mark.parametrize("script", ["promote-image.sh", "sign-image.sh"])
def test_an_image_by_tag_is_never_signed_or_promoted(tools: dict[str, str], script: str) -> None:
    result = run(
        script,
        f"{STAGING}:latest",
        "sbom.json",
        "provenance.json",
        ECR_REPOSITORY_URL=PRODUCTION,
        **tools,
    )

    assert result.returncode == 1
    assert "by digest, not by tag" in result.stdout + result.stderr
    assert calls(tools) == []


def test_signing_keeps_everything_off_the_public_log_and_in_tags(tools: dict[str, str]) -> None:
    image = f"{STAGING}@{DIGEST}"
    result = run("sign-image.sh", image, "build/sbom.spdx.json", "build/provenance.json", **tools)

    assert result.returncode == 0, result.stderr
    made = calls(tools)
    assert [call.split()[1] for call in made] == ["sign", "attest", "attest"]
    for call in made:
        assert "--key awskms:///alias/iris-classifier-image-signing" in call
        assert "--tlog-upload=false" in call and "--use-signing-config=false" in call
        assert "--new-bundle-format=false" in call
        # The ECR helper built into cosign: no docker login on the in-VPC runner.
        assert "--k8s-keychain" in call
        assert call.endswith(image)
    assert "--type spdxjson --predicate build/sbom.spdx.json" in made[1]
    assert "--type slsaprovenance1 --predicate build/provenance.json" in made[2]


def test_recording_a_release_moves_the_drift_and_batch_jobs_and_writes_the_record(
    tools: dict[str, str],
) -> None:
    image = f"{STAGING}@{DIGEST}"
    result = run("record-release.sh", image, **tools)

    assert result.returncode == 0, result.stderr
    assert calls(tools) == [
        f"kubectl set image cronjob/iris-classifier-drift-job drift-job={image} "
        "--namespace iris-classifier",
        f"kubectl set image cronjob/iris-classifier-batch batch={image} "
        "--namespace iris-classifier",
        f"aws ssm put-parameter --name /iris-classifier/dev/released-image --value {image} "
        "--type String --overwrite",
    ]


@pytest.mark.parametrize(("phase", "code"), [("Successful", 0), ("Failed", 1), ("Inconclusive", 1)])
def test_the_first_release_gate_waits_for_the_verdict(
    tools: dict[str, str], phase: str, code: int
) -> None:
    result = run("first-release-gate.sh", "locust-gate", "600", GATE_PHASE=phase, **tools)

    assert result.returncode == code, result.stdout + result.stderr
    created = Path(tools["CALLS"]).parent / "created.json"
    assert '"generateName": "iris-classifier-first-release-"' in created.read_text()
    polls = [call for call in calls(tools) if "get analysisrun" in call]
    assert len(polls) == 2
    if code:
        assert "failed its locust-gate gate" in result.stdout
        assert f"({RUN_NAME}: {phase})" in result.stdout


def test_the_first_release_gate_gives_up_at_its_timeout(tools: dict[str, str]) -> None:
    result = run("first-release-gate.sh", "locust-gate", "0", GATE_PHASE="Running", **tools)

    assert result.returncode == 1
    assert "gave no verdict within 0 s (phase: Running); timed out" in result.stdout


def provenance_envelope(tools: dict[str, str], digest: str) -> None:
    """What the build attested, as cosign prints it back: provenance.py's own predicate."""
    written = subprocess.run(
        [sys.executable, DELIVERY / "provenance.py", "write"],
        env=tools,
        capture_output=True,
        text=True,
        check=True,
    )
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": STAGING, "digest": {"sha256": digest.removeprefix("sha256:")}}],
        "predicate": json.loads(written.stdout),
    }
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    line = json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": payload})
    Path(tools["ENVELOPE"]).write_text(line + "\n")


def test_a_signed_image_with_this_run_s_provenance_is_verified(tools: dict[str, str]) -> None:
    provenance_envelope(tools, DIGEST)
    result = run("verify-image.sh", f"{PRODUCTION}@{DIGEST}", **tools)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == f"Provenance: {PRODUCTION}@{DIGEST} was built from {COMMIT} on main.\n"
    made = calls(tools)
    assert [call.split()[1] for call in made] == [
        "verify",
        "verify-attestation",
        "verify-attestation",
    ]
    assert all("--insecure-ignore-tlog=true" in call and "--k8s-keychain" in call for call in made)


@pytest.mark.parametrize("failing", ["verify", "verify-attestation"])
def test_an_unsigned_image_stops_delivery(tools: dict[str, str], failing: str) -> None:
    provenance_envelope(tools, DIGEST)
    result = run("verify-image.sh", f"{PRODUCTION}@{DIGEST}", COSIGN_FAILS=failing, **tools)

    assert result.returncode != 0
    assert "was built from" not in result.stdout


def test_provenance_of_another_image_stops_delivery(tools: dict[str, str]) -> None:
    provenance_envelope(tools, "sha256:" + "00" * 32)
    result = run("verify-image.sh", f"{PRODUCTION}@{DIGEST}", **tools)

    assert result.returncode == 1
    assert f"::error::Refusing {PRODUCTION}@{DIGEST}" in result.stdout
