"""Run the Pulumi program offline, under Pulumi's mocks, and show what it would create.

    make plan               (every stack, in order: bootstrap, dev, dev-cluster, prod, ...)
    python infra/plan.py dev-cluster --output build/plan/dev-cluster

Prints the resource inventory, writes every Kubernetes object the stack declares as
YAML, `resources.json` (every resource with its inputs, parent, explicit dependencies,
ignored changes and protection) for the tests, and `exports.json` (its stack outputs). A stack that
references another (the AWS layer reads the bootstrap's outputs, the cluster layer the
AWS layer's) gets that stack's planned outputs from the folder beside its own, so plan
the referenced stack first. No AWS account, Pulumi CLI or provider plugin is needed.

The program calls one provider function (invoke): the cluster layer reads the image its
environment released (infra/cloud/release_record.py). The plan answers it with a
placeholder digest in that environment's repository, or, with `--released-image none`,
as before the first release. Any other invoke needs AWS, so the plan fails on it.
"""

import argparse
import contextlib
import json
import logging
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

INFRA = Path(__file__).resolve().parent
# Used only when the stack file has no accountId yet, so a plan works before one exists.
PLACEHOLDER_ACCOUNT_ID = "000000000000"
# The one invoke the program makes: the cluster layer reading its release record.
RELEASE_RECORD_READ = "aws:ssm/getParameter:getParameter"
# The inputs worth a glance in the inventory, per resource type.
HIGHLIGHTS = {
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["availabilityZone", "cidrBlock"],
    "aws:ecr/repository:Repository": ["name", "imageTagMutability", "imageScanningConfiguration"],
    "aws:eks/cluster:Cluster": ["name", "version", "vpcConfig", "enabledClusterLogTypes"],
    "aws:eks/nodeGroup:NodeGroup": ["instanceTypes", "scalingConfig"],
    "aws:eks/addon:Addon": ["addonName"],
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": ["namespace", "serviceAccount"],
    "aws:secretsmanager/secret:Secret": ["name"],
    "kubernetes:helm.sh/v3:Release": ["chart", "version", "namespace"],
}


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers each resource registration like AWS would, and records it."""

    def __init__(self, region: str, account_id: str, plans: Path, released_image: str) -> None:
        self.region = region
        self.account_id = account_id
        self.plans = plans
        self.released_image = released_image
        self.resources: list[dict[str, Any]] = []
        self.options: dict[tuple[str, str], dict[str, Any]] = {}

    def record_options(self, args: pulumi.ResourceTransformationArgs) -> None:
        """Options never reach the mocks; a stack transformation sees them first."""
        options: dict[str, Any] = {}
        opts = args.opts or pulumi.ResourceOptions()
        if opts.ignore_changes:
            options["ignoreChanges"] = list(opts.ignore_changes)
        if opts.protect:
            options["protect"] = True
        if opts.parent is not None and opts.parent._type != "pulumi:pulumi:Stack":
            options["parent"] = resource_key(opts.parent)
        depends_on = opts.depends_on if isinstance(opts.depends_on, list) else []
        if depends_on:
            options["dependsOn"] = [resource_key(resource) for resource in depends_on]
        self.options[(args.type_, args.name)] = options

    def referenced_outputs(self, stack_name: str) -> dict[str, Any]:
        stack = stack_name.rsplit("/", 1)[-1]
        exports = self.plans / stack / "exports.json"
        if not exports.exists():
            raise RuntimeError(
                f"this stack reads the outputs of stack {stack!r}: plan it first "
                f"(python infra/plan.py {stack} --output {self.plans / stack})"
            )
        return json.loads(exports.read_text())

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            stack_name = args.inputs["name"]
            outputs = self.referenced_outputs(stack_name)
            return stack_name, {"name": stack_name, "outputs": outputs, "secretOutputNames": []}
        resource = {
            "type": args.typ,
            "name": args.name,
            "inputs": args.inputs,
            **self.options.get((args.typ, args.name), {}),
        }
        self.resources.append(resource)
        service = args.typ.split(":")[1].split("/")[0]
        kind = args.typ.rsplit(":", 1)[-1].lower()
        state = {
            "arn": f"arn:aws:{service}:{self.region}:{self.account_id}:{kind}/{args.name}",
            "name": args.inputs.get("name", args.name),
            **args.inputs,
        }
        if args.typ == "aws:eks/cluster:Cluster":
            state["endpoint"] = f"https://{args.name}.eks.{self.region}.amazonaws.com"
            state["certificateAuthority"] = {"data": "bW9jaw=="}
            state["vpcConfig"] = {
                **args.inputs["vpcConfig"],
                "clusterSecurityGroupId": "sg-cluster",
            }
        if args.typ == "aws:ecr/repository:Repository":
            state["repositoryUrl"] = (
                f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{state['name']}"
            )
        if args.typ == "aws:s3/bucket:Bucket" and "bucket" not in args.inputs:
            # S3 completes a prefix with 26 characters of its own.
            state["bucket"] = args.inputs["bucketPrefix"] + "0" * 26
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state["latestVersion"] = 1
        if args.typ == "aws:sqs/queue:Queue":
            state["url"] = (
                f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{state['name']}"
            )
        if args.typ == "random:index/randomPassword:RandomPassword":
            # As long as asked for, so what the program builds from it can be checked.
            state["result"] = "p" * int(args.inputs["length"])
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list]:
        if args.token == RELEASE_RECORD_READ:
            name = args.args["name"]
            return {"id": name, "name": name, "type": "String", "value": self.released_image}, []
        raise RuntimeError(
            f"the program called {args.token}; invokes need AWS, take the value from config"
        )


def program_log() -> logging.Logger:
    """What the program logs (pulumi.log.info, .warn) printed as `pulumi up` shows it."""
    log = logging.getLogger("pulumi-program")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def resource_key(resource: pulumi.Resource) -> str:
    """How resources.json names a resource: `<type>::<name>`."""
    return f"{resource._type}::{resource._name}"


def read_stack_config(stack: str, overrides: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The project name and the stack's config as Pulumi hands it to a program: every
    key namespaced, structured values as JSON. `overrides` replace keys of the file."""
    project = yaml.safe_load((INFRA / "Pulumi.yaml").read_text())["name"]
    stack_file = yaml.safe_load((INFRA / f"Pulumi.{stack}.yaml").read_text())
    config = {}
    for key, value in {**(stack_file.get("config") or {}), **overrides}.items():
        full_key = key if ":" in key else f"{project}:{key}"
        config[full_key] = value if isinstance(value, str) else json.dumps(value)
    is_cluster_layer = config.get(f"{project}:layer") == "cluster"
    if not is_cluster_layer and not config.get(f"{project}:accountId"):
        print(
            f"accountId is not set in Pulumi.{stack}.yaml; planning with {PLACEHOLDER_ACCOUNT_ID}."
        )
        config[f"{project}:accountId"] = PLACEHOLDER_ACCOUNT_ID
    return project, config


def placeholder_image(project: str, config: dict[str, str]) -> str:
    """An image in the environment's repository, as delivery would record it."""
    region = config.get("aws:region", "")
    environment = config.get(f"{project}:environment", "")
    registry = f"{PLACEHOLDER_ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com"
    return f"{registry}/{project}-{environment}@sha256:{'0' * 64}"


class PlanFailed(Exception):
    """The program raised; says how far it got, so a config error is seen to stop it
    before any resource exists."""

    def __init__(self, cause: Exception, declared: int) -> None:
        where = (
            "before declaring any resource"
            if declared == 0
            else f"after declaring {declared} resources"
        )
        super().__init__(f"the program stopped {where}: {cause}")


def stack_outputs() -> dict[str, Any]:
    """The values the program exported, as `pulumi stack output --show-secrets` shows them."""
    outputs = get_root_resource().outputs  # type: ignore[union-attr]
    return _sync_await(pulumi.Output.from_input(outputs).future()) or {}


def run_program(
    stack: str, overrides: dict[str, str], plans: Path, released_image: str | None = None
) -> dict[str, Any]:
    project, config = read_stack_config(stack, overrides)
    pulumi.runtime.set_all_config(config)
    mocks = RecordingMocks(
        config.get("aws:region", ""),
        config.get(f"{project}:accountId", PLACEHOLDER_ACCOUNT_ID),
        plans,
        released_image or placeholder_image(project, config),
    )
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, logger=program_log()
    )
    pulumi.runtime.register_stack_transformation(lambda args: mocks.record_options(args))
    sys.path.insert(0, str(INFRA))
    try:
        runpy.run_path(str(INFRA / "__main__.py"), run_name="__main__")
        _sync_await(wait_for_rpcs())
    except Exception as error:
        # Count what the program had declared before it failed, once registrations land.
        with contextlib.suppress(Exception):
            _sync_await(wait_for_rpcs())
        raise PlanFailed(error, len(mocks.resources)) from error
    return {
        "project": project,
        "stack": stack,
        "layer": config.get(f"{project}:layer"),
        "region": mocks.region,
        "accountId": mocks.account_id,
        "resources": mocks.resources,
        "exports": stack_outputs(),
    }


def kubernetes_objects(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `kubectl get -o yaml` would show for every object the program declares."""
    return [
        resource["inputs"]
        for resource in resources
        if resource["type"].startswith("kubernetes:") and "kind" in resource["inputs"]
    ]


def print_inventory(layer: str, resources: list[dict[str, Any]]) -> None:
    print(f"{len(resources)} resources, the {layer} layer")
    for resource in resources:
        keys = HIGHLIGHTS.get(resource["type"], [])
        shown = {key: resource["inputs"][key] for key in keys if key in resource["inputs"]}
        if "kind" in resource["inputs"]:
            shown = {
                "kind": resource["inputs"]["kind"],
                "metadata": resource["inputs"].get("metadata"),
            }
        detail = f"  {json.dumps(shown, separators=(',', ':'))}" if shown else ""
        print(f"  {resource['type']:<60} {resource['name']}{detail}")


def write_outputs(plan: dict[str, Any], output: Path) -> None:
    resources = plan["resources"]
    manifests = output / "kubernetes"
    manifests.mkdir(parents=True, exist_ok=True)
    for stale in manifests.glob("*.yaml"):
        stale.unlink()
    for index, manifest in enumerate(kubernetes_objects(resources)):
        file_name = f"{index:02d}-{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"
        (manifests / file_name).write_text(yaml.safe_dump(manifest, sort_keys=False))
    exports = plan.pop("exports")
    (output / "resources.json").write_text(json.dumps(plan, indent=1, sort_keys=True))
    (output / "exports.json").write_text(json.dumps(exports, indent=1, sort_keys=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "stack", help="bootstrap, dev, dev-cluster, prod or prod-cluster: infra/Pulumi.<stack>.yaml"
    )
    parser.add_argument(
        "--output", type=Path, required=True, help="where to write the YAML and resources.json"
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key for this plan, e.g. publicAccessCidrs='[\"203.0.113.0/24\"]'",
    )
    parser.add_argument(
        "--released-image",
        metavar="IMAGE",
        help="what the cluster layer finds recorded: an image, or `none` (before the first "
        "release); default: a placeholder digest in the environment's repository",
    )
    arguments = parser.parse_args()
    overrides = dict(setting.split("=", 1) for setting in arguments.config)
    try:
        plan = run_program(
            arguments.stack, overrides, arguments.output.resolve().parent, arguments.released_image
        )
    except PlanFailed as error:
        print(error, file=sys.stderr)
        return 1
    print_inventory(plan["layer"], plan["resources"])
    write_outputs(plan, arguments.output)
    print(f"Kubernetes objects written to {arguments.output / 'kubernetes'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
