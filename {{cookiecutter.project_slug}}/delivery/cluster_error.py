"""Say in one line why a step that talks to the cluster failed, and what to check.

Reads what kubectl (or `kubectl argo rollouts`) printed on standard input. Prints a GitHub
`::error::` annotation and appends the same sentence to the job summary, so an unreachable
API, a refused identity, a missing Rollout and an aborted canary never look alike.

    kubectl argo rollouts status ... 2>&1 | python3 delivery/cluster_error.py

With `--cause` it prints only the cause's name (or `unknown`) and succeeds, for a step
that treats one cause as expected (delivery: a missing Rollout means a first release).
"""

import argparse
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    name: str
    signs: tuple[str, ...]
    explanation: str


# First match wins: an aborted rollout's output can also mention a missing object.
CAUSES = (
    Cause(
        "unreachable",
        (
            "Unable to connect to the server",
            "dial tcp",
            "i/o timeout",
            "connection refused",
            "no such host",
            "TLS handshake timeout",
        ),
        "The cluster API cannot be reached from this runner. Jobs that talk to the cluster "
        "must run on the in-VPC runner (runs-on codebuild-<RUNNER_PROJECT_PREFIX>-...), whose "
        "security group the cluster admits on 443 (infra/cloud/ci_runner.py).",
    ),
    Cause(
        "unauthorized",
        ("Unauthorized", "You must be logged in to the server", "(Forbidden)", "forbidden:"),
        "The cluster refused this job's role. Check that AWS_DEPLOY_ROLE_ARN is the stack's "
        "deployRoleArn (make github-variables), its EKS access entry, and the deployer Role "
        "in the app namespace (infra/cloud/github_deploy.py).",
    ),
    Cause(
        "aborted",
        ("Degraded", "RolloutAborted", "aborted"),
        "The canary was aborted: an analysis failed and all traffic is back on the stable "
        "version. The AnalysisRuns below say which metric failed, with what value.",
    ),
    Cause(
        "timed out",
        ("timed out", "timeout"),
        "The rollout did not finish within ROLLOUT_TIMEOUT (.github/delivery.env); it goes on "
        "in the cluster. Watch it with `kubectl argo rollouts get rollout <name> --watch`.",
    ),
    Cause(
        "missing",
        # No such Rollout, or no Rollout kind yet: a new cluster before Argo Rollouts.
        ("(NotFound)", "not found", "doesn't have a resource type"),
        "The Rollout does not exist. Delivery creates it with the first release "
        '(docs/delivery.md, "The first release"); if it existed, something deleted it: run '
        "delivery again.",
    ),
)


def explain(output: str) -> Cause | None:
    return next((cause for cause in CAUSES if any(sign in output for sign in cause.signs)), None)


def sentence(output: str) -> str:
    cause = explain(output)
    if cause is None:
        last = output.strip().splitlines()[-1:] or ["no output"]
        return f"kubectl failed for a reason not recognised here: {last[0]}"
    return cause.explanation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cause", action="store_true", help="print only the cause's name")
    arguments = parser.parse_args(argv)
    output = sys.stdin.read()
    if arguments.cause:
        cause = explain(output)
        print(cause.name if cause else "unknown")
        return 0
    message = sentence(output)
    print(f"::error::{message}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(f"{message}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
