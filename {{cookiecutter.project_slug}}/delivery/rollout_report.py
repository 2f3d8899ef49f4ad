"""Say why a rollout stopped: the AnalysisRuns of one Rollout, newest first, as Markdown.

Reads `kubectl get analysisruns -o json`. `summary` prints the report for the job summary;
`jobs` prints the names of the Jobs the analyses ran (the Locust gate), one per line, so
the workflow can save their logs.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# A deploy creates a handful of runs; older ones belong to earlier deploys.
RUNS_SHOWN = 5


def runs_of(analysis_runs: dict[str, Any], rollout: str) -> list[dict[str, Any]]:
    """The runs the Rollout owns, newest first."""
    owned = [
        run
        for run in analysis_runs.get("items", [])
        if any(
            owner.get("kind") == "Rollout" and owner.get("name") == rollout
            for owner in run["metadata"].get("ownerReferences", [])
        )
    ]
    return sorted(owned, key=lambda run: run["metadata"]["creationTimestamp"], reverse=True)


def cell(text: Any) -> str:
    """Table cells hold one line, and a pipe in a message must not split the cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def summary(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "No AnalysisRun found for this rollout: it stopped before any analysis started."
    lines = []
    for run in runs[:RUNS_SHOWN]:
        status = run.get("status", {})
        lines += [
            f"### AnalysisRun `{run['metadata']['name']}`: {status.get('phase', 'Pending')}",
            "",
            *([cell(status["message"]), ""] if status.get("message") else []),
            "| metric | phase | measurements | failed | last value | message |",
            "|--------|-------|--------------|--------|------------|---------|",
        ]
        for result in status.get("metricResults", []):
            last = (result.get("measurements") or [{}])[-1]
            message = result.get("message") or last.get("message", "")
            lines.append(
                f"| {result['name']} | {result.get('phase', '')} | {result.get('count', 0)} "
                f"| {result.get('failed', 0)} | {cell(last.get('value', ''))} | {cell(message)} |"
            )
        lines.append("")
    return "\n".join(lines)


def job_names(runs: list[dict[str, Any]]) -> list[str]:
    """Argo Rollouts records the Job it created for a `job` metric in the measurement."""
    return [
        measurement["metadata"]["job-name"]
        for run in runs[:RUNS_SHOWN]
        for result in run.get("status", {}).get("metricResults", [])
        for measurement in result.get("measurements", [])
        if "job-name" in measurement.get("metadata", {})
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", choices=["summary", "jobs"])
    parser.add_argument(
        "analysis_runs", type=Path, help="output of kubectl get analysisruns -o json"
    )
    parser.add_argument("--rollout", required=True, help="name of the Rollout")
    arguments = parser.parse_args(argv)
    runs = runs_of(json.loads(arguments.analysis_runs.read_text()), arguments.rollout)
    if arguments.report == "summary":
        print(summary(runs))
    else:
        print("\n".join(job_names(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
