"""CI inside the VPC: a CodeBuild project that hosts ephemeral GitHub Actions runners in
the private subnets, the only path (besides dev's optional public endpoint) to the
private cluster API; and what CI's cluster role may do there.

GitHub queues a job whose `runs-on` is `codebuild-<project>-<run id>-<attempt>`; the
webhook (filtered on WORKFLOW_JOB_QUEUED) starts a build that registers a one-job runner.
The build's own role can only write its logs, attach to the VPC and use the GitHub
connection: jobs get their AWS powers from GitHub's OIDC token, for their environment's
role, so a job that lands here without an environment gets nothing.
"""

import pulumi
import pulumi_aws as aws

from . import iam
from .account_bootstrap import AccountBootstrap
from .cluster import Cluster
from .naming import component_type, tags
from .network import Network
from .stack_config import AwsLayerConfig

HTTPS = 443
# Amazon Linux 2023 with the AWS CLI, kubectl, Python and Node (not Pulumi: jobs install
# it); 2 vCPUs and 4 GiB are plenty for `pulumi up` and `kubectl argo rollouts status`.
IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
COMPUTE_TYPE = "BUILD_GENERAL1_SMALL"
BUILD_TIMEOUT_MINUTES = 90
LOG_RETENTION_DAYS = 30
# An EKS access policy: what applying the cluster layer (charts with CRDs, cluster roles,
# webhooks) needs. Only CI's cluster role gets it; delivery gets a namespaced Role.
CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# AWS's documented permissions for a CodeBuild project in a VPC.
VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
]


def runner_project_name(config: AwsLayerConfig) -> str:
    """`<project>-<GitHub environment>`: workflows build the label from the repository
    variable RUNNER_PROJECT_PREFIX and the environment they deploy."""
    return f"{config.project}-{config.github_deploy_environment}"


class CiRunner(pulumi.ComponentResource):
    project_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        account: AccountBootstrap,
        network: Network,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "CiRunner"), name, None, opts)
        project_name = runner_project_name(config)
        connection_arn = account.output("githubConnectionArn")
        security_group = self.runner_security_group(name, config, network, cluster)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/codebuild/{project_name}",
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role, policy = self.build_role(name, config, network, log_group, connection_arn)
        project = aws.codebuild.Project(
            f"{name}-project",
            name=project_name,
            description=f"Ephemeral GitHub Actions runners inside {config.name}'s VPC",
            service_role=role.arn,
            build_timeout=BUILD_TIMEOUT_MINUTES,
            source={
                "type": "GITHUB",
                "location": account.output("githubRepository").apply(
                    lambda repository: f"https://github.com/{repository}.git"
                ),
                "auth": {"type": "CODECONNECTIONS", "resource": connection_arn},
            },
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": COMPUTE_TYPE,
                "image": IMAGE,
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": False,
            },
            vpc_config={
                "vpc_id": network.vpc_id,
                "subnets": network.private_subnet_ids,
                "security_group_ids": [security_group.id],
            },
            logs_config={"cloudwatch_logs": {"group_name": log_group.name, "status": "ENABLED"}},
            tags=tags(config),
            # CodeBuild checks the role can use the VPC and the connection when it is set.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        aws.codebuild.Webhook(
            f"{name}-webhook",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[
                {"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]},
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.admit_cluster_role(name, config, account, cluster)
        self.project_name = project.name
        self.security_group_id = security_group.id
        self.register_outputs({"project_name": self.project_name})

    def runner_security_group(
        self, name: str, config: AwsLayerConfig, network: Network, cluster: Cluster
    ) -> aws.ec2.SecurityGroup:
        """The runners' own group: nothing in, HTTPS out; the cluster API admits it."""
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-runner",
            vpc_id=network.vpc_id,
            description="CI runners: no inbound; HTTPS out to GitHub, AWS and the cluster API",
            egress=[
                {
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "cidr_blocks": ["0.0.0.0/0"],
                    "description": "HTTPS: GitHub, AWS APIs, chart repositories, the cluster API",
                }
            ],
            tags=tags(config, Name=f"{config.name}-ci-runner"),
            opts=child,
        )
        # The cluster security group admits only itself by default: open its API port to
        # the runners, and to nothing else.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-cluster-api",
            security_group_id=cluster.security_group_id,
            referenced_security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description="Kubernetes API from the in-VPC CI runners",
            tags=tags(config),
            opts=child,
        )
        return security_group

    def build_role(
        self,
        name: str,
        config: AwsLayerConfig,
        network: Network,
        log_group: aws.cloudwatch.LogGroup,
        connection_arn: pulumi.Output[str],
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role CodeBuild runs the runners as, trusted by this project alone."""
        child = pulumi.ResourceOptions(parent=self)
        project_arn = (
            f"arn:aws:codebuild:{config.region}:{config.account_id}:project/"
            f"{runner_project_name(config)}"
        )
        role = aws.iam.Role(
            f"{name}-build",
            assume_role_policy=trust_codebuild(config, project_arn),
            tags=tags(config),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-build",
            role=role.id,
            policy=build_policy(config, log_group.arn, network.private_subnet_ids, connection_arn),
            opts=child,
        )
        return role, policy

    def admit_cluster_role(
        self, name: str, config: AwsLayerConfig, account: AccountBootstrap, cluster: Cluster
    ) -> None:
        """CI's cluster role (made by the bootstrap, trusted by this environment's jobs)
        applies the cluster layer from the runners: it gets the cluster's admin policy."""
        child = pulumi.ResourceOptions(parent=self)
        access = aws.eks.AccessEntry(
            f"{name}-cluster-role",
            cluster_name=cluster.name,
            principal_arn=account.for_environment("clusterRoleArns"),
            type="STANDARD",
            tags=tags(config),
            opts=child,
        )
        aws.eks.AccessPolicyAssociation(
            f"{name}-cluster-role",
            cluster_name=cluster.name,
            principal_arn=access.principal_arn,
            policy_arn=CLUSTER_ADMIN_POLICY,
            access_scope={"type": "cluster"},
            opts=child,
        )


def trust_codebuild(config: AwsLayerConfig, project_arn: str) -> pulumi.Output[str]:
    """Only CodeBuild, and only for this account's runner project, may assume the role."""
    return pulumi.Output.json_dumps(
        iam.document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": config.account_id},
                    "ArnLike": {"aws:SourceArn": project_arn},
                },
            }
        )
    )


def build_policy(
    config: AwsLayerConfig,
    log_group_arn: pulumi.Output[str],
    subnet_ids: list[pulumi.Output[str]],
    connection_arn: pulumi.Output[str],
) -> pulumi.Output[str]:
    """What a runner's build needs: its log stream, network interfaces in the private
    subnets only, and the GitHub connection."""
    subnet_arns = [
        subnet_id.apply(
            lambda subnet: f"arn:aws:ec2:{config.region}:{config.account_id}:subnet/{subnet}"
        )
        for subnet_id in subnet_ids
    ]
    return iam.policy_json(
        iam.allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [log_group_arn.apply(lambda arn: f"{arn}:*")],
        ),
        iam.allow(VPC_ACTIONS, ["*"], StringEquals={"aws:RequestedRegion": config.region}),
        iam.allow(
            ["ec2:CreateNetworkInterfacePermission"],
            [f"arn:aws:ec2:{config.region}:{config.account_id}:network-interface/*"],
            StringEquals={
                "ec2:Subnet": subnet_arns,
                "ec2:AuthorizedService": "codebuild.amazonaws.com",
            },
        ),
        iam.allow(
            [
                "codeconnections:GetConnection",
                "codeconnections:GetConnectionToken",
                "codeconnections:UseConnection",
            ],
            [connection_arn],
        ),
    )
