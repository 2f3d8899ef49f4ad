"""Schemathesis against the real server and the OpenAPI document the server itself serves:
every built-in check on every generated request, valid and invalid, with and without a key.

Run through Schemathesis' CLI, which runs every phase (examples, coverage, fuzzing): the
coverage phase is the one that sends unsupported methods and drops required headers. Its
pytest integration cannot take the session server's URL from a fixture under pytest 9.2
(`schemathesis.pytest.from_fixture` reads a node attribute pytest removed).
"""

import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis

from {{ cookiecutter.package_name }}.features import EXAMPLE_RECORD

from harness.local_service import LocalService
from tests.server_settings import API_KEY, MAX_BODY_BYTES

# Per operation, on top of the examples and coverage cases; enough for a run of seconds.
MAX_EXAMPLES = 100
RUN_TIMEOUT_SECONDS = 300
# Schemathesis enables every check by default; these are the ones the contract rests on.
REQUIRED_CHECKS = frozenset(
    {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "ignored_auth",
    }
)
KEY = {"Authorization": f"Bearer {API_KEY}"}
JSON = {"Content-Type": "application/json"}
VALID_BODY = json.dumps({"records": [EXAMPLE_RECORD.model_dump()]}).encode()
# Rejections generated requests rarely or never reach, sent by hand: (headers, body).
REJECTIONS = {
    "no-key": (JSON, VALID_BODY),
    "wrong-key": ({**JSON, "Authorization": "Bearer not-the-key"}, VALID_BODY),
    "not-json": ({**KEY, "Content-Type": "text/plain"}, VALID_BODY),
    "too-large": ({**KEY, **JSON}, b" " * (MAX_BODY_BYTES + 1)),
    "invalid": ({**KEY, **JSON}, b'{"records": []}'),
}


@dataclass(frozen=True)
class ContractRun:
    exit_code: int
    output: str
    # (operation, check, status) -> how many times
    checks: Counter
    # (operation, method, Authorization header as sent, response status) -> how many times
    requests: Counter

    def checks_run_on(self, operation: str) -> set[str]:
        return {check for (label, check, _), count in self.checks.items() if label == operation}


def read_events(path: Path) -> tuple[Counter, Counter]:
    """Tally the checks and requests recorded in Schemathesis' NDJSON report."""
    checks: Counter = Counter()
    requests: Counter = Counter()
    for line in path.read_text().splitlines():
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder") or {}
        label = recorder.get("label")
        for results in recorder.get("checks", {}).values():
            checks.update((label, result["name"], result["status"]) for result in results)
        for interaction in recorder.get("interactions", {}).values():
            request, response = interaction["request"], interaction.get("response") or {}
            authorization = request["headers"].get("Authorization", ["(none)"])[0]
            requests[(label, request["method"], authorization, response.get("status_code"))] += 1
    return checks, requests


@pytest.fixture(scope="module")
def contract_run(server: LocalService, tmp_path_factory: pytest.TempPathFactory) -> ContractRun:
    workdir = tmp_path_factory.mktemp("schemathesis")
    events = workdir / "events.ndjson"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/docs.json"),
        *("--checks", "all", "--max-examples", str(MAX_EXAMPLES)),
        # The same cases on every run (which also keeps no database of earlier runs).
        "--generation-deterministic",
        *("--header", f"Authorization: Bearer {API_KEY}"),
        *("--report", "ndjson", "--report-ndjson-path", str(events)),
        # Show the key in the report, so ignored_auth's probes can be told apart.
        *("--output-sanitize", "false", "--no-color"),
    ]
    finished = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS
    )
    output = finished.stdout + finished.stderr
    if not events.exists():
        pytest.fail(f"Schemathesis wrote no report:\n{output}")
    return ContractRun(finished.returncode, output, *read_events(events))


def test_every_generated_request_passes_every_check(contract_run: ContractRun) -> None:
    # On failure the output names each check that failed, with a curl command to reproduce.
    assert contract_run.exit_code == 0, contract_run.output
    failed = {key: count for key, count in contract_run.checks.items() if key[2] != "success"}
    assert not failed, contract_run.output


def test_every_documented_operation_is_tested_with_every_required_check(
    contract_run: ContractRun, server: LocalService
) -> None:
    document = httpx.get(f"{server.url}/docs.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert operations == {label for label, _, _ in contract_run.checks}
    missing = REQUIRED_CHECKS - contract_run.checks_run_on("POST /predict")
    assert not missing, f"checks that never ran on POST /predict: {sorted(missing)}"


def test_predictions_without_a_key_or_with_a_wrong_one_were_sent_and_refused(
    contract_run: ContractRun,
) -> None:
    sent = [
        (authorization, status)
        for (label, method, authorization, status) in contract_run.requests
        if (label, method) == ("POST /predict", "POST")
    ]
    valid = f"Bearer {API_KEY}"
    assert any(authorization == "(none)" for authorization, _ in sent)
    assert any(authorization not in {valid, "(none)"} for authorization, _ in sent)
    assert {status for authorization, status in sent if authorization != valid} == {401}


def test_unsupported_methods_were_sent_to_every_path_and_refused_with_405(
    contract_run: ContractRun,
) -> None:
    refused = {
        (label, method, status)
        for (label, method, _, status) in contract_run.requests
        if method != label.split()[0]
    }
    assert refused, "the coverage phase sent no unsupported method"
    assert {status for _, _, status in refused} == {405}


@pytest.mark.parametrize(("headers", "body"), REJECTIONS.values(), ids=REJECTIONS.keys())
def test_rejections_sent_by_hand_match_the_document(
    server: LocalService, headers: dict[str, str], body: bytes
) -> None:
    predict = schemathesis.openapi.from_url(f"{server.url}/docs.json")["/predict"]["POST"]
    response = httpx.post(f"{server.url}/predict", content=body, headers=headers)
    assert 400 <= response.status_code < 500
    # Status, content type, headers (WWW-Authenticate on 401) and body schema.
    predict.Case().validate_response(response)
