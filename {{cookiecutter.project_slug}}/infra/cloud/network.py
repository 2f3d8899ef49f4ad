"""VPC over the configured zones: a public and a private subnet per zone, NAT for the
private ones (one in dev, one per zone in prod). Nodes only ever live in private subnets.

Load balancers get subnets that hold nothing else: the public ones (NAT gateways aside)
for an internet-facing ALB, and small "ingress" subnets for an internal one. The service
pods' NetworkPolicy admits exactly the ALB's subnets (network_policies.py): the ALB
reaches pods from addresses in its own subnets, and with the VPC CNI every pod, node and
runner has a VPC address, so admitting the VPC would admit them all."""

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
        child = pulumi.ResourceOptions(parent=self)
        blocks = list(config.vpc_network.subnets(prefixlen_diff=SUBNET_PREFIX_EXTENSION))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags(config, Name=config.name),
            opts=child,
        )
        # Strip every rule from the default security group, so nothing lands in an open one.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=tags(config), opts=child
        )
        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=tags(config), opts=child
        )

        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": internet_gateway.id}],
            tags=tags(config, Name=f"{config.name}-public"),
            opts=child,
        )
        public_subnets = []
        private_subnets = []
        for index, zone in enumerate(config.availability_zones):
            public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{zone}",
                    vpc_id=vpc.id,
                    availability_zone=zone,
                    cidr_block=str(blocks[PUBLIC_SUBNET_OFFSET + index]),
                    map_public_ip_on_launch=False,
                    # Internet-facing load balancers go here.
                    tags=tags(
                        config,
                        Name=f"{config.name}-public-{zone}",
                        **{"kubernetes.io/role/elb": "1"},
                    ),
                    opts=child,
                )
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}",
                subnet_id=public_subnets[-1].id,
                route_table_id=public_routes.id,
                opts=child,
            )
            private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{zone}",
                    vpc_id=vpc.id,
                    availability_zone=zone,
                    cidr_block=str(blocks[index]),
                    map_public_ip_on_launch=False,
                    tags=tags(
                        config,
                        Name=f"{config.name}-private-{zone}",
                        # Karpenter's subnet discovery; load balancers never go here.
                        **{"karpenter.sh/discovery": config.name},
                    ),
                    opts=child,
                )
            )

        nat_gateways = []
        for index in range(config.nat_gateway_count):
            zone = config.availability_zones[index]
            address = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=tags(config), opts=child)
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=address.id,
                    subnet_id=public_subnets[index].id,
                    tags=tags(config, Name=f"{config.name}-nat-{zone}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
                )
            )
        for index, (zone, subnet) in enumerate(
            zip(config.availability_zones, private_subnets, strict=True)
        ):
            routes = aws.ec2.RouteTable(
                f"{name}-private-{zone}",
                vpc_id=vpc.id,
                routes=[
                    {
                        "cidr_block": "0.0.0.0/0",
                        "nat_gateway_id": nat_gateways[index % len(nat_gateways)].id,
                    }
                ],
                tags=tags(config, Name=f"{config.name}-private-{zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )

        zones = config.availability_zones
        ingress_blocks = list(
            blocks[INGRESS_BLOCK].subnets(prefixlen_diff=INGRESS_PREFIX_EXTENSION)
        )
        self.ingress_subnet_cidrs = [str(block) for block in ingress_blocks[: len(zones)]]
        # Local routes only: an internal load balancer talks to the VPC and nothing else.
        ingress_routes = aws.ec2.RouteTable(
            f"{name}-ingress",
            vpc_id=vpc.id,
            tags=tags(config, Name=f"{config.name}-ingress"),
            opts=child,
        )
        ingress_subnets = []
        for zone, cidr in zip(zones, self.ingress_subnet_cidrs, strict=True):
            ingress_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-ingress-{zone}",
                    vpc_id=vpc.id,
                    availability_zone=zone,
                    cidr_block=cidr,
                    map_public_ip_on_launch=False,
                    tags=tags(
                        config,
                        Name=f"{config.name}-ingress-{zone}",
                        **{"kubernetes.io/role/internal-elb": "1"},
                    ),
                    opts=child,
                )
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-ingress-{zone}",
                subnet_id=ingress_subnets[-1].id,
                route_table_id=ingress_routes.id,
                opts=child,
            )

        self.vpc_id = vpc.id
        self.private_subnet_ids = [subnet.id for subnet in private_subnets]
        self.public_subnet_ids = [subnet.id for subnet in public_subnets]
        self.public_subnet_cidrs = [
            str(blocks[PUBLIC_SUBNET_OFFSET + index]) for index in range(len(zones))
        ]
        self.ingress_subnet_ids = [subnet.id for subnet in ingress_subnets]
        self.register_outputs({"vpc_id": self.vpc_id})
