"""Copy a stack's outputs into the variables of its GitHub environment.

Reads `pulumi stack output --json` on stdin and runs `gh variable set` for each variable
delivery needs, in the environment the stack's deploy role trusts (`githubEnvironment`).
With --dry-run it prints the commands instead.
"""

import argparse
import json
import shlex
import subprocess
import sys

# Stack output -> environment variable read by deliver.yml and rollback.yml.
VARIABLES = {
    "deployRoleArn": "AWS_DEPLOY_ROLE_ARN",
    "repositoryUrl": "ECR_REPOSITORY_URL",
    "clusterName": "EKS_CLUSTER_NAME",
    "appNamespace": "APP_NAMESPACE",
    "serviceUrl": "SERVICE_URL",
}
# serviceUrl appears once the service is deployed (README, "First deployment").
OPTIONAL_OUTPUTS = {"serviceUrl"}


def commands(outputs: dict[str, str]) -> list[list[str]]:
    missing = sorted(set(VARIABLES) - OPTIONAL_OUTPUTS - set(outputs)) + (
        [] if "githubEnvironment" in outputs else ["githubEnvironment"]
    )
    if missing:
        raise SystemExit(
            f"The stack has no output {', '.join(missing)}: run `pulumi up` for it first."
        )
    environment = outputs["githubEnvironment"]
    return [
        ["gh", "variable", "set", variable, "--env", environment, "--body", str(outputs[output])]
        for output, variable in VARIABLES.items()
        if output in outputs
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the gh commands only")
    arguments = parser.parse_args(argv)
    for command in commands(json.load(sys.stdin)):
        print(shlex.join(command))
        if not arguments.dry_run:
            subprocess.run(command, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
