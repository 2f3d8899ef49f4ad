"""Who can reach whom under a set of NetworkPolicies, by the rules of the Kubernetes API
(networking.k8s.io/v1): a pod no policy selects for a direction is open in it; a selected
pod allows what any selecting policy's rule allows; traffic needs the sender's egress and
the receiver's ingress. Peers may be pods or addresses outside any pod (the ALB, a node)."""

import ipaddress
from dataclasses import dataclass, field
from typing import Any

NAMESPACE_NAME = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Peer:
    name: str
    ip: str
    namespace: str | None = None  # None: an address, not a pod
    labels: dict[str, str] = field(default_factory=dict)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"selector form not modelled: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def matches(rule_peer: dict[str, Any], peer: Peer, policy_namespace: str) -> bool:
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if peer.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        in_namespace = selects(rule_peer["namespaceSelector"], {NAMESPACE_NAME: peer.namespace})
    else:
        in_namespace = peer.namespace == policy_namespace
    return in_namespace and selects(rule_peer.get("podSelector", {}), peer.labels)


def port_allowed(rule: dict[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    return ports is None or any(entry.get("port") == port for entry in ports)


def allowed(policies: list[dict], direction: str, subject: Peer, other: Peer, port: int) -> bool:
    """Whether `subject`'s policies let traffic with `other` through in `direction`."""
    if subject.namespace is None:
        return True  # not a pod: no NetworkPolicy applies to it
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    applicable = [
        policy
        for policy in policies
        if policy["metadata"]["namespace"] == subject.namespace
        and selects(policy["spec"]["podSelector"], subject.labels)
        and direction in policy["spec"].get("policyTypes", ["Ingress"])
    ]
    if not applicable:
        return True
    return any(
        port_allowed(rule, port)
        and (
            rule.get(peers_key) is None
            or any(
                matches(peer, other, policy["metadata"]["namespace"]) for peer in rule[peers_key]
            )
        )
        for policy in applicable
        for rule in policy["spec"].get(key, [])
    )


def can_reach(policies: list[dict], source: Peer, target: Peer, port: int) -> bool:
    return allowed(policies, "Egress", source, target, port) and allowed(
        policies, "Ingress", target, source, port
    )
