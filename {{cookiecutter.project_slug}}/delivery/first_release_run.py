"""Make the AnalysisRun that gates a first release: the Locust gate's template, run once.

A Rollout created from nothing goes to 100% at once (Argo Rollouts skips the steps when
there is no stable version), so the first release gets the same SLO gate a canary gets,
run against the new pods: an AnalysisRun with the template's metrics, owned by the
Rollout (the rollout evidence finds it, and it goes when the Rollout goes).

    python3 delivery/first_release_run.py template.json rollout.json | kubectl create -f - -o name
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

FIRST_RELEASE_LABEL = "delivery/first-release"


def analysis_run(template: dict[str, Any], rollout: dict[str, Any]) -> dict[str, Any]:
    spec = template["spec"]
    if spec.get("args"):
        names = ", ".join(argument["name"] for argument in spec["args"])
        raise ValueError(
            f"template {template['metadata']['name']} takes arguments ({names}); "
            "the first-release gate runs templates without any"
        )
    metadata = rollout["metadata"]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "generateName": f"{metadata['name']}-first-release-",
            "namespace": metadata["namespace"],
            "labels": {FIRST_RELEASE_LABEL: "true"},
            "ownerReferences": [
                {
                    "apiVersion": rollout["apiVersion"],
                    "kind": "Rollout",
                    "name": metadata["name"],
                    "uid": metadata["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"metrics": spec["metrics"]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="kubectl get analysistemplate -o json")
    parser.add_argument("rollout", type=Path, help="kubectl get rollout -o json")
    arguments = parser.parse_args(argv)
    template = json.loads(arguments.template.read_text())
    rollout = json.loads(arguments.rollout.read_text())
    try:
        run = analysis_run(template, rollout)
    except ValueError as error:
        print(f"::error::{error}")
        return 1
    print(json.dumps(run, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
