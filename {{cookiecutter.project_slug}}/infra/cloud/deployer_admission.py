"""What the deploy role may change when it patches the Rollout or the drift CronJob: the
images, to a digest in this environment's repository, and nothing else. RBAC can grant
`patch` on a resource, not on a field, so a ValidatingAdmissionPolicy (Kubernetes 1.30+)
checks the deployers' every update: the pod template's security-relevant fields (and
the Rollout's strategy, with its canary analysis) must be what they were.

`kubectl argo rollouts set image` changes one container's image; `undo` puts back an
earlier revision's template as its ReplicaSet holds it, that is with the API server's
defaults filled in (a port's protocol, an env fieldRef's apiVersion), so those two are
compared by what matters (no host port; env names and literal values) rather than as a
whole. A CEL expression that meets a missing field fails, and a failing expression
denies: an attacker cannot pass a check by deleting the field.
"""

from typing import Any

# Pod spec fields that decide what a pod may do, and container fields likewise (none of
# them defaulted by the API server). Images, env and ports are checked on their own.
POD_FIELDS = (
    "serviceAccountName",
    "automountServiceAccountToken",
    "securityContext",
    "volumes",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "initContainers",
    "ephemeralContainers",
    "nodeName",
    "runtimeClassName",
    "shareProcessNamespace",
)
CONTAINER_FIELDS = (
    "command",
    "args",
    "envFrom",
    "securityContext",
    "volumeMounts",
    "volumeDevices",
    "resources",
)
# The same variables, each with the same literal value (or none, for a valueFrom).
SAME_ENV = (
    "(has(c.env) == has(o.env) && (!has(c.env) || (c.env.map(e, e.name) == o.env.map(e, e.name)"
    " && c.env.all(e, o.env.exists(f, f.name == e.name && has(e.value) == has(f.value)"
    " && (!has(e.value) || e.value == f.value))))))"
)
NO_HOST_PORT = "(!has(c.ports) || c.ports.all(p, !has(p.hostPort)))"


def unchanged(new: str, old: str, field: str) -> str:
    """`field` is absent from both, or present in both with the same value."""
    return (
        f"(has({new}.{field}) == has({old}.{field}) && "
        f"(!has({new}.{field}) || {new}.{field} == {old}.{field}))"
    )


def validations(repository_url: str) -> list[dict[str, str]]:
    """The checks on a deployer's update, as (expression, message) entries."""
    new, old = "variables.template.spec", "variables.oldTemplate.spec"
    same_container = " && ".join(
        [*(unchanged("c", "o", field) for field in CONTAINER_FIELDS), SAME_ENV, NO_HOST_PORT]
    )
    return [
        {
            "expression": (
                f"{new}.containers.all(c, c.image.startsWith('{repository_url}@sha256:'))"
            ),
            "message": f"images must be digests in {repository_url}",
        },
        {
            "expression": (
                f"{new}.containers.map(c, c.name) == {old}.containers.map(c, c.name) && "
                f"{new}.containers.all(c, {old}.containers.exists(o, o.name == c.name && "
                f"{same_container}))"
            ),
            "message": "deployers may change container images only",
        },
        {
            "expression": " && ".join(unchanged(new, old, field) for field in POD_FIELDS),
            "message": "deployers may not change the pod's identity, security or volumes",
        },
        {
            "expression": (
                "object.kind != 'Rollout' || object.spec.strategy == oldObject.spec.strategy"
            ),
            "message": "deployers may not change the canary strategy",
        },
    ]


def policy_spec(group: str, repository_url: str) -> dict[str, Any]:
    """A ValidatingAdmissionPolicy's spec for updates by members of `group`."""
    return {
        "failurePolicy": "Fail",
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "apiVersions": ["*"],
                    "resources": ["rollouts"],
                    "operations": ["UPDATE"],
                },
                {
                    "apiGroups": ["batch"],
                    "apiVersions": ["*"],
                    "resources": ["cronjobs"],
                    "operations": ["UPDATE"],
                },
            ]
        },
        "matchConditions": [
            {
                "name": "deployers-only",
                "expression": f"request.userInfo.groups.exists(g, g == '{group}')",
            }
        ],
        "variables": [
            {"name": name, "expression": template_of(source)}
            for name, source in (("template", "object"), ("oldTemplate", "oldObject"))
        ],
        "validations": validations(repository_url),
    }


def template_of(source: str) -> str:
    return (
        f"{source}.kind == 'Rollout' ? {source}.spec.template "
        f": {source}.spec.jobTemplate.spec.template"
    )
