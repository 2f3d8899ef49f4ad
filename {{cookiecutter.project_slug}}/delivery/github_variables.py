"""Copy the stacks' outputs into GitHub: one environment's variables, and the repository's.

Reads the `pulumi stack output --json` of the bootstrap stack, of one AWS-layer stack
(dev or prod) and, once it has been applied, of that environment's cluster layer. Creates
the GitHub environment the stack's roles trust if it is missing (deployable from main
only; production with you as its required reviewer where the plan allows), then runs
`gh variable set` for each variable the workflows read. With --dry-run it prints the
commands instead, and creates nothing.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

# Stack output -> environment variable, per layer, read by deliver.yml, rollback.yml and
# infra.yml. PULUMI_CLUSTER_ROLE_ARN comes from the bootstrap's clusterRoleArns.<stack>.
AWS_LAYER_VARIABLES = {
    "deployRoleArn": "AWS_DEPLOY_ROLE_ARN",
    "repositoryUrl": "ECR_REPOSITORY_URL",
    "clusterName": "EKS_CLUSTER_NAME",
    "appNamespace": "APP_NAMESPACE",
    "releaseRecord": "RELEASE_RECORD",
}
# serviceUrl appears once the first release created the service (docs/delivery.md).
CLUSTER_LAYER_VARIABLES = {"serviceUrl": "SERVICE_URL"}
CLUSTER_ROLE_VARIABLE = "PULUMI_CLUSTER_ROLE_ARN"
# Bootstrap output -> repository variable, read by infra.yml.
BOOTSTRAP_VARIABLES = {
    "backendUrl": "PULUMI_BACKEND_URL",
    "previewRoleArn": "PULUMI_PREVIEW_ROLE_ARN",
}
RUNNER_PREFIX_VARIABLE = "RUNNER_PROJECT_PREFIX"
# The environments that have a runner, in delivery order: deploy.yml delivers to
# production and infra.yml applies its cluster layer only once it is listed here.
PROVISIONED_VARIABLE = "DEPLOY_ENVIRONMENTS"
DELIVERY_ORDER = ("staging", "production")
REVIEWED_ENVIRONMENTS = frozenset({"production"})
NO_REVIEWERS = (
    "warning: GitHub refused required reviewers for {environment!r}: this plan has none for "
    "a private repository, so its deliveries will not wait for approval. Created it without "
    '(docs/infrastructure.md, "GitHub plans").'
)
NO_ENVIRONMENTS = (
    "GitHub refused to create the environment {environment!r}. Delivery needs GitHub "
    "environments: a public repository, or a private one on GitHub Pro, Team or Enterprise "
    'Cloud (docs/infrastructure.md, "GitHub plans"). Check `gh auth status` too: it takes '
    "admin rights."
)


def require(outputs: dict, names: list[str], stack: str) -> None:
    """Refuse a stack that lacks an output, naming each: it was never applied, or is old."""
    missing = sorted(set(names) - set(outputs))
    if missing:
        raise SystemExit(
            f"The {stack} stack has no output {', '.join(missing)}: run `pulumi up` for it first."
        )


def cluster_role_arn(bootstrap: dict, stack: str) -> str:
    """The bootstrap makes one cluster role per environment, keyed by its AWS-layer stack."""
    require(bootstrap, ["clusterRoleArns"], "bootstrap")
    roles = bootstrap["clusterRoleArns"]
    if stack not in roles:
        raise SystemExit(
            f"The bootstrap has no cluster role for stack {stack!r}; it has "
            f"{', '.join(sorted(roles))}. Use one of those as STACK."
        )
    return roles[stack]


def runner_project_prefix(aws: dict) -> str:
    """The CodeBuild project is `<prefix>-<environment>`: workflows add the environment."""
    require(aws, ["project", "runnerProject", "githubEnvironment"], "AWS-layer")
    prefix = aws["project"]
    expected = f"{prefix}-{aws['githubEnvironment']}"
    if aws["runnerProject"] != expected:
        raise SystemExit(
            f"The runner project is {aws['runnerProject']!r}, not {expected!r}: the workflows"
            f" could not name it. Apply the AWS layer again (make provision)."
        )
    return prefix


def environment_variables(bootstrap: dict, aws: dict, cluster: dict, stack: str) -> dict:
    """What deliver.yml, rollback.yml and infra.yml read from the stack's environment."""
    require(aws, [*AWS_LAYER_VARIABLES, "githubEnvironment"], "AWS-layer")
    variables = {variable: str(aws[output]) for output, variable in AWS_LAYER_VARIABLES.items()}
    variables[CLUSTER_ROLE_VARIABLE] = cluster_role_arn(bootstrap, stack)
    variables |= {
        variable: str(cluster[output])
        for output, variable in CLUSTER_LAYER_VARIABLES.items()
        if output in cluster
    }
    return variables


def repository_variables(bootstrap: dict, aws: dict) -> dict:
    """What every environment shares: the state backend, the preview role, the runners."""
    require(bootstrap, list(BOOTSTRAP_VARIABLES), "bootstrap")
    variables = {
        variable: str(bootstrap[output]) for output, variable in BOOTSTRAP_VARIABLES.items()
    }
    variables[RUNNER_PREFIX_VARIABLE] = runner_project_prefix(aws)
    return variables


def provisioned_environments(current: str, added: str) -> str:
    """The repository's list of provisioned environments, with `added`, in delivery order."""
    known = set(json.loads(current)) if current else set()
    return json.dumps([name for name in DELIVERY_ORDER if name in known | {added}])


def current_repository_variable(name: str) -> str:
    result = subprocess.run(["gh", "variable", "get", name], capture_output=True, text=True)
    return (result.stdout or "").strip() if result.returncode == 0 else ""


def set_commands(variables: dict, environment: str | None = None) -> list[list[str]]:
    """`gh variable set` for each variable, in the environment if one is given."""
    scope = ["--env", environment] if environment else []
    return [
        ["gh", "variable", "set", name, *scope, "--body", value]
        for name, value in variables.items()
    ]


def environment_path(environment: str) -> str:
    # gh fills in {owner}/{repo} from the repository of the current directory.
    return f"repos/{{owner}}/{{repo}}/environments/{environment}"


def environment_settings(reviewer: int | str | None) -> dict:
    """Deployable from main only: the environment's roles trust any job that names it, so
    no other branch may. With a reviewer, its deliveries wait for that person."""
    settings: dict = {
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}
    }
    if reviewer is not None:
        settings["reviewers"] = [{"type": "User", "id": reviewer}]
    return settings


def create_environment_commands(environment: str) -> list[list[str]]:
    """The environment (its settings on standard input), then its branch policy: main."""
    path = environment_path(environment)
    return [
        ["gh", "api", "--method", "PUT", path, "--input", "-", "--silent"],
        [
            "gh",
            "api",
            "--method",
            "POST",
            f"{path}/deployment-branch-policies",
            "-f",
            "name=main",
            "-f",
            "type=branch",
            "--silent",
        ],
    ]


def current_user_id() -> int:
    lookup = ["gh", "api", "user", "--jq", ".id"]
    return int(subprocess.run(lookup, capture_output=True, text=True, check=True).stdout)


def create_environment(environment: str, dry_run: bool) -> None:
    """Production's first required reviewer is whoever sets it up; where the plan has no
    required reviewers (docs/infrastructure.md, "GitHub plans") it is created without,
    and says so."""
    put, branch_policy = create_environment_commands(environment)
    reviewer = None
    if environment in REVIEWED_ENVIRONMENTS:
        reviewer = "<your GitHub user id>" if dry_run else current_user_id()
    try:
        try:
            run(put, dry_run, environment_settings(reviewer))
        except subprocess.CalledProcessError:
            if reviewer is None:
                raise
            print(NO_REVIEWERS.format(environment=environment))
            run(put, dry_run, environment_settings(None))
        run(branch_policy, dry_run)
    except subprocess.CalledProcessError:
        raise SystemExit(NO_ENVIRONMENTS.format(environment=environment)) from None


def environment_exists(environment: str) -> bool:
    """Checked first, so that an existing environment's protection rules stay untouched."""
    lookup = ["gh", "api", environment_path(environment), "--silent"]
    return subprocess.run(lookup, capture_output=True).returncode == 0


def read_outputs(path: Path | None) -> dict:
    return json.loads(path.read_text()) if path else {}


def run(command: list[str], dry_run: bool, body: dict | None = None) -> None:
    """Print the command (with the body it reads from standard input), then run it."""
    body_text = json.dumps(body) if body is not None else None
    print(shlex.join(command) + (f" <<< {shlex.quote(body_text)}" if body_text else ""))
    if not dry_run:
        subprocess.run(command, check=True, input=body_text, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the AWS-layer stack: dev or prod")
    parser.add_argument("--bootstrap", type=Path, required=True, help="bootstrap's outputs")
    parser.add_argument("--aws", type=Path, required=True, help="the AWS-layer stack's outputs")
    parser.add_argument("--cluster", type=Path, help="the cluster-layer stack's outputs, if any")
    parser.add_argument("--dry-run", action="store_true", help="print the gh commands only")
    arguments = parser.parse_args(argv)
    bootstrap, aws = read_outputs(arguments.bootstrap), read_outputs(arguments.aws)
    cluster = read_outputs(arguments.cluster)

    environment = environment_variables(bootstrap, aws, cluster, arguments.stack)
    repository = repository_variables(bootstrap, aws)
    github_environment = aws["githubEnvironment"]
    current = "" if arguments.dry_run else current_repository_variable(PROVISIONED_VARIABLE)
    repository[PROVISIONED_VARIABLE] = provisioned_environments(current, github_environment)
    if arguments.dry_run or not environment_exists(github_environment):
        create_environment(github_environment, arguments.dry_run)
    for command in set_commands(environment, github_environment) + set_commands(repository):
        run(command, arguments.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
