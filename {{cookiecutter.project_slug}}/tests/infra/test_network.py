import ipaddress

from cloud.network import (
    INGRESS_BLOCK,
    INGRESS_PREFIX_EXTENSION,
    PUBLIC_SUBNET_OFFSET,
    SUBNET_PREFIX_EXTENSION,
)
from tests.infra.conftest import Plan

SUBNET = "aws:ec2/subnet:Subnet"


def subnets(plan: Plan, role: str) -> list[dict]:
    return [resource for resource in plan.all(SUBNET) if f"-{role}-" in resource["name"]]


def subnet_ids(plan: Plan, role: str) -> set[str]:
    # The mocks give every resource the id "<name>-id".
    return {f"{subnet['name']}-id" for subnet in subnets(plan, role)}


def test_vpc_spans_every_zone_with_a_public_a_private_and_an_ingress_subnet(plan: Plan) -> None:
    vpc = ipaddress.ip_network(plan.one("aws:ec2/vpc:Vpc")["cidrBlock"])
    private, public = subnets(plan, "private"), subnets(plan, "public")
    ingress = subnets(plan, "ingress")
    expected_zones = 2 if plan.stack == "dev" else 3

    assert len(private) == len(public) == len(ingress) == expected_zones
    for role in (private, public, ingress):
        assert len({subnet["inputs"]["availabilityZone"] for subnet in role}) == expected_zones
    every = private + public + ingress
    blocks = [ipaddress.ip_network(subnet["inputs"]["cidrBlock"]) for subnet in every]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    # AWS: an ALB's subnet needs at least a /27 (and 8 free addresses).
    assert all(block.prefixlen <= 27 for block in blocks)


def test_the_smallest_vpc_with_the_most_zones_still_fits_every_subnet() -> None:
    vpc = ipaddress.ip_network("10.0.0.0/20")
    blocks = list(vpc.subnets(prefixlen_diff=SUBNET_PREFIX_EXTENSION))
    zones = range(6)
    private = [blocks[zone] for zone in zones]
    public = [blocks[PUBLIC_SUBNET_OFFSET + zone] for zone in zones]
    ingress = list(blocks[INGRESS_BLOCK].subnets(prefixlen_diff=INGRESS_PREFIX_EXTENSION))[:6]
    every = private + public + ingress
    assert not any(a.overlaps(b) for i, a in enumerate(every) for b in every[i + 1 :])
    assert all(block.prefixlen <= 27 for block in ingress)


def test_subnets_carry_the_tags_load_balancers_and_karpenter_look_for(plan: Plan) -> None:
    cluster_name = plan.one("aws:eks/cluster:Cluster")["name"]
    for subnet in subnets(plan, "private"):
        assert subnet["inputs"]["tags"]["karpenter.sh/discovery"] == cluster_name
        assert not {"kubernetes.io/role/internal-elb", "kubernetes.io/role/elb"} & set(
            subnet["inputs"]["tags"]
        )
    for subnet in subnets(plan, "public"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/elb"] == "1"
        assert "karpenter.sh/discovery" not in subnet["inputs"]["tags"]
    for subnet in subnets(plan, "ingress"):
        assert subnet["inputs"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "karpenter.sh/discovery" not in subnet["inputs"]["tags"]


def test_ingress_subnets_route_inside_the_vpc_only(plan: Plan) -> None:
    [table] = [
        table
        for table in plan.all("aws:ec2/routeTable:RouteTable")
        if table["name"].endswith("-ingress")
    ]
    associations = [
        association["inputs"]
        for association in plan.all("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if association["inputs"]["subnetId"] in subnet_ids(plan, "ingress")
    ]
    assert not table["inputs"].get("routes")
    assert {association["routeTableId"] for association in associations} == {f"{table['name']}-id"}
    assert len(associations) == len(subnets(plan, "ingress"))


def test_no_subnet_gives_instances_public_addresses(plan: Plan) -> None:
    assert not any(subnet["inputs"]["mapPublicIpOnLaunch"] for subnet in plan.all(SUBNET))


def test_nat_is_single_in_dev_and_one_per_zone_in_prod(plan: Plan) -> None:
    nat_gateways = plan.all("aws:ec2/natGateway:NatGateway")
    assert len(nat_gateways) == (1 if plan.stack == "dev" else 3)
    assert {nat["inputs"]["subnetId"] for nat in nat_gateways} <= subnet_ids(plan, "public")


def test_nodes_and_control_plane_live_only_in_private_subnets(plan: Plan) -> None:
    private = subnet_ids(plan, "private")
    assert set(plan.one("aws:eks/nodeGroup:NodeGroup")["subnetIds"]) == private
    assert set(plan.one("aws:eks/cluster:Cluster")["vpcConfig"]["subnetIds"]) == private


def test_default_security_group_allows_nothing(plan: Plan) -> None:
    default_group = plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default_group.get("ingress")
    assert not default_group.get("egress")
