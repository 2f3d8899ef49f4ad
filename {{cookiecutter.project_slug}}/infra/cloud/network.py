"""VPC over the configured zones: a public and a private subnet per zone, NAT for the
private ones (one in dev, one per zone in prod). Nodes only ever live in private subnets.

Load balancers get subnets that hold nothing else: the public ones (NAT gateways aside)
for an internet-facing ALB, and small "ingress" subnets for an internal one. The service
pods' NetworkPolicy admits exactly the ALB's subnets (network_policies.py): the ALB
reaches pods from addresses in its own subnets, and with the VPC CNI every pod, node and
runner has a VPC address, so admitting the VPC would admit them all."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .naming import component_type, tags
from .stack_config import AwsLayerConfig

# Each subnet is a /20 of a /16 VPC (4,096 addresses): pods take VPC addresses.
SUBNET_PREFIX_EXTENSION = 4
# Public subnets start halfway through the VPC range, after room for 8 private ones.
PUBLIC_SUBNET_OFFSET = 8
# Internal load balancers' subnets: the last /20 block, cut in 8 (unused while there are
# at most 6 zones). /23 each in a /16 VPC; /27, AWS's minimum for an ALB, in a /20 one.
INGRESS_BLOCK = 15
INGRESS_PREFIX_EXTENSION = 3


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    public_subnet_cidrs: list[str]
    ingress_subnet_ids: list[pulumi.Output[str]]
    ingress_subnet_cidrs: list[str]

    def __init__(
        self, name: str, config: AwsLayerConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "Network"), name, None, opts)
        self.name, self.config = name, config
        child = pulumi.ResourceOptions(parent=self)
        zones = config.availability_zones
        blocks = list(config.vpc_network.subnets(prefixlen_diff=SUBNET_PREFIX_EXTENSION))
        ingress_blocks = blocks[INGRESS_BLOCK].subnets(prefixlen_diff=INGRESS_PREFIX_EXTENSION)
        self.public_subnet_cidrs = [
            str(blocks[PUBLIC_SUBNET_OFFSET + i]) for i in range(len(zones))
        ]
        self.ingress_subnet_cidrs = [str(next(ingress_blocks)) for _ in zones]
        private_cidrs = [str(blocks[index]) for index in range(len(zones))]

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags(config, Name=config.name),
            opts=child,
        )
        self.vpc_id = vpc.id
        # Strip every rule from the default security group, so nothing lands in an open one.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=tags(config), opts=child
        )
        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=tags(config), opts=child
        )

        # Internet-facing load balancers and the NAT gateways go here.
        public_routes = self.route_table(
            "public", [{"cidr_block": "0.0.0.0/0", "gateway_id": internet_gateway.id}]
        )
        public_subnets = self.subnets(
            "public",
            self.public_subnet_cidrs,
            [public_routes] * len(zones),
            {"kubernetes.io/role/elb": "1"},
        )
        nat_gateways = [
            self.nat_gateway(zone, subnet, internet_gateway)
            for zone, subnet in zip(zones[: config.nat_gateway_count], public_subnets, strict=False)
        ]
        # Nodes and pods, each zone through a NAT gateway (its own, in prod); Karpenter
        # finds them by tag. Load balancers never go here.
        private_routes = [
            self.route_table(
                f"private-{zone}",
                [
                    {
                        "cidr_block": "0.0.0.0/0",
                        "nat_gateway_id": nat_gateways[index % len(nat_gateways)].id,
                    }
                ],
            )
            for index, zone in enumerate(zones)
        ]
        private_subnets = self.subnets(
            "private", private_cidrs, private_routes, {"karpenter.sh/discovery": config.name}
        )
        # S3 straight from the private subnets, not through the NAT gateways, which charge
        # per GB: image layers (ECR keeps them in S3) and the batch job's data.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{config.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[routes.id for routes in private_routes],
            tags=tags(config, Name=f"{config.name}-s3"),
            opts=child,
        )
        # Internal load balancers, alone; local routes only: they talk to the VPC only.
        ingress_routes = self.route_table("ingress", [])
        ingress_subnets = self.subnets(
            "ingress",
            self.ingress_subnet_cidrs,
            [ingress_routes] * len(zones),
            {"kubernetes.io/role/internal-elb": "1"},
        )

        self.private_subnet_ids = [subnet.id for subnet in private_subnets]
        self.public_subnet_ids = [subnet.id for subnet in public_subnets]
        self.ingress_subnet_ids = [subnet.id for subnet in ingress_subnets]
        self.register_outputs({"vpc_id": self.vpc_id})

    def route_table(self, role: str, routes: list[dict]) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(
            f"{self.name}-{role}",
            vpc_id=self.vpc_id,
            **({"routes": routes} if routes else {}),
            tags=tags(self.config, Name=f"{self.config.name}-{role}"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def subnets(
        self,
        role: str,
        cidrs: list[str],
        route_tables: list[aws.ec2.RouteTable],
        role_tags: dict[str, str],
    ) -> list[aws.ec2.Subnet]:
        """One subnet of `role` per zone, each with its route table; no public addresses."""
        created = []
        for zone, cidr, routes in zip(
            self.config.availability_zones, cidrs, route_tables, strict=True
        ):
            subnet = aws.ec2.Subnet(
                f"{self.name}-{role}-{zone}",
                vpc_id=self.vpc_id,
                availability_zone=zone,
                cidr_block=cidr,
                map_public_ip_on_launch=False,
                tags=tags(self.config, Name=f"{self.config.name}-{role}-{zone}", **role_tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ec2.RouteTableAssociation(
                f"{self.name}-{role}-{zone}",
                subnet_id=subnet.id,
                route_table_id=routes.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            created.append(subnet)
        return created

    def nat_gateway(
        self, zone: str, subnet: aws.ec2.Subnet, internet_gateway: aws.ec2.InternetGateway
    ) -> aws.ec2.NatGateway:
        address = aws.ec2.Eip(
            f"{self.name}-nat-{zone}",
            domain="vpc",
            tags=tags(self.config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.ec2.NatGateway(
            f"{self.name}-nat-{zone}",
            allocation_id=address.id,
            subnet_id=subnet.id,
            tags=tags(self.config, Name=f"{self.config.name}-nat-{zone}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
        )
