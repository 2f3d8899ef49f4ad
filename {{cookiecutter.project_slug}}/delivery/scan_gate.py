"""Refuse an image whose ECR scan found vulnerabilities of a blocking severity.

Reads `aws ecr describe-image-scan-findings` JSON on stdin, prints a Markdown summary for
the job summary, and exits 1 when the scan did not complete or found a blocking finding.
Works for basic scanning (`findings`) and enhanced scanning with Inspector
(`enhancedFindings`).
"""

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]
# The summary names this many blocking findings; the counts cover all of them.
LISTED_FINDINGS = 20


@dataclass(frozen=True)
class Verdict:
    passed: bool
    summary: str


def finding_rows(scan: dict[str, Any], blocking: set[str]) -> list[str]:
    """One Markdown row per blocking finding: basic and enhanced scans name them differently."""
    rows = []
    for finding in scan.get("findings", []):
        if finding.get("severity") in blocking:
            attributes = {
                item["key"]: item.get("value", "") for item in finding.get("attributes", [])
            }
            package = (
                f"{attributes.get('package_name', '?')} {attributes.get('package_version', '')}"
            )
            rows.append(
                f"| {finding['severity']} | {finding.get('name', '?')} | {package.strip()} |"
            )
    for finding in scan.get("enhancedFindings", []):
        if finding.get("severity") in blocking:
            details = finding.get("packageVulnerabilityDetails", {})
            packages = ", ".join(
                f"{package.get('name', '?')} {package.get('version', '')}".strip()
                for package in details.get("vulnerablePackages", [])
            )
            name = details.get("vulnerabilityId") or finding.get("title", "?")
            rows.append(f"| {finding['severity']} | {name} | {packages or '?'} |")
    return rows


def judge(response: dict[str, Any], blocking: set[str]) -> Verdict:
    status = response.get("imageScanStatus", {})
    if status.get("status") != "COMPLETE":
        reason = status.get("description") or "no scan result"
        return Verdict(False, f"Image scan {status.get('status', 'missing')}: {reason}")
    scan = response.get("imageScanFindings", {})
    counts = scan.get("findingSeverityCounts", {})
    lines = [
        "| severity | findings |",
        "|----------|----------|",
        *(f"| {severity} | {counts.get(severity, 0)} |" for severity in SEVERITIES),
    ]
    blocked = sum(counts.get(severity, 0) for severity in blocking)
    if not blocked:
        return Verdict(True, "\n".join(["Image scan: no blocking findings.", "", *lines]))
    rows = finding_rows(scan, blocking)
    return Verdict(
        False,
        "\n".join(
            [
                f"Image scan: {blocked} finding(s) of severity {', '.join(sorted(blocking))}; "
                "not deploying.",
                "",
                *lines,
                "",
                "| severity | vulnerability | package |",
                "|----------|---------------|---------|",
                *rows[:LISTED_FINDINGS],
            ]
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--block",
        nargs="+",
        choices=SEVERITIES,
        default=["CRITICAL"],
        help="severities that stop a deploy (default: CRITICAL)",
    )
    arguments = parser.parse_args(argv)
    verdict = judge(json.load(sys.stdin), set(arguments.block))
    print(verdict.summary)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
