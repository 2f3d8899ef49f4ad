"""The scan gate passes a clean image and refuses one with a blocking finding, naming it."""

import io
import json
import sys

import pytest

from scan_gate import judge, main


def response(counts: dict[str, int], status: str = "COMPLETE", **findings: list) -> dict:
    """The shape of `aws ecr describe-image-scan-findings --output json`."""
    return {
        "repositoryName": "iris-classifier-dev",
        "imageId": {"imageDigest": "sha256:" + "a" * 64},
        "imageScanStatus": {"status": status, "description": "The scan was completed."},
        "imageScanFindings": {"findingSeverityCounts": counts, **findings},
    }


BASIC_CRITICAL = {
    "name": "CVE-2026-0001",
    "severity": "CRITICAL",
    "attributes": [
        {"key": "package_name", "value": "openssl"},
        {"key": "package_version", "value": "3.0.1"},
    ],
}
ENHANCED_CRITICAL = {
    "severity": "CRITICAL",
    "title": "CVE-2026-0002 - zlib",
    "packageVulnerabilityDetails": {
        "vulnerabilityId": "CVE-2026-0002",
        "vulnerablePackages": [{"name": "zlib", "version": "1.2.11"}],
    },
}


def test_an_image_with_only_lower_findings_passes() -> None:
    verdict = judge(response({"HIGH": 2, "LOW": 7}), {"CRITICAL"})

    assert verdict.passed
    assert "| HIGH | 2 |" in verdict.summary


def test_a_critical_finding_of_a_basic_scan_blocks_and_is_named() -> None:
    verdict = judge(response({"CRITICAL": 1}, findings=[BASIC_CRITICAL]), {"CRITICAL"})

    assert not verdict.passed
    assert "| CRITICAL | CVE-2026-0001 | openssl 3.0.1 |" in verdict.summary


def test_a_critical_finding_of_an_enhanced_scan_blocks_and_is_named() -> None:
    verdict = judge(response({"CRITICAL": 1}, enhancedFindings=[ENHANCED_CRITICAL]), {"CRITICAL"})

    assert not verdict.passed
    assert "| CRITICAL | CVE-2026-0002 | zlib 1.2.11 |" in verdict.summary


def test_a_scan_that_did_not_complete_is_not_a_pass() -> None:
    verdict = judge(response({}, status="FAILED"), {"CRITICAL"})

    assert not verdict.passed
    assert "FAILED" in verdict.summary


def test_blocking_severities_can_be_widened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(response({"HIGH": 1}))))
    assert main(["--block", "CRITICAL", "HIGH"]) == 1

    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(response({"HIGH": 1}))))
    assert main([]) == 0
