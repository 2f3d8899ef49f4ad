"""Shared storage for the prediction log: an encrypted Amazon EFS file system that every
service pod writes to (each in its own folder) and the drift job reads, mounted through
the EFS CSI driver (an EKS add-on with its own Pod Identity role).

EFS, not a block volume, because many pods on many nodes in several zones write at once
(ReadWriteMany). NFS is open only to the cluster's security group, which the nodes carry;
the node, not the pod, mounts the volume, so no NetworkPolicy is involved. The file
system's policy refuses any connection without TLS (the CSI driver mounts with TLS by
default) and root access, which the access points' own user never needs.
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as kubernetes

from . import iam
from .app_namespace import AppNamespace
from .cluster import Cluster
from .cluster_connection import ClusterConnection
from .encryption import rotating_key
from .naming import component_type, tags
from .network import Network
from .service_pod import RUN_AS_USER
from .stack_config import AwsLayerConfig, ClusterLayerConfig

NFS_PORT = 2049
CSI_DRIVER_ADDON = "aws-efs-csi-driver"
# The add-on's controller creates an EFS access point per volume: it needs the role.
CSI_CONTROLLER_ACCOUNT = "efs-csi-controller-sa"
CSI_DRIVER_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"
# EFS grows as needed: the size is required by Kubernetes and enforces nothing.
NOMINAL_SIZE = "5Gi"


def file_system_policy(file_system_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """EFS's default policy (any client reaching a mount target may mount, write and act
    as root) without root, and with TLS required of every connection."""
    return iam.policy_json(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": file_system_arn,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Resource": file_system_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


class PredictionStorageAws(pulumi.ComponentResource):
    """The AWS layer's part: the file system, its mount targets and the CSI driver."""

    file_system_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: AwsLayerConfig,
        network: Network,
        cluster: Cluster,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "PredictionStorageAws"), name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        key = rotating_key(f"{name}-key", config, "Encrypts the prediction log", self)
        file_system = aws.efs.FileSystem(
            f"{name}-file-system",
            encrypted=True,
            kms_key_id=key.arn,
            tags=tags(config, Name=f"{config.name}-prediction-log"),
            opts=child,
        )
        aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=file_system.id,
            policy=file_system_policy(file_system.arn),
            opts=child,
        )
        mount_targets = self.mount_targets(name, config, network, cluster, file_system)
        self.csi_driver(name, config, cluster, mount_targets)
        self.file_system_id = file_system.id
        self.register_outputs({"file_system_id": self.file_system_id})

    def mount_targets(
        self,
        name: str,
        config: AwsLayerConfig,
        network: Network,
        cluster: Cluster,
        file_system: aws.efs.FileSystem,
    ) -> list[aws.efs.MountTarget]:
        """One per private subnet, reachable over NFS from the cluster's nodes only."""
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-nfs",
            vpc_id=network.vpc_id,
            description="NFS to the prediction log's EFS, from the cluster's nodes only",
            tags=tags(config, Name=f"{config.name}-prediction-log-nfs"),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nfs-from-cluster",
            security_group_id=security_group.id,
            referenced_security_group_id=cluster.security_group_id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            description="NFS from the cluster security group (system and Karpenter nodes)",
            tags=tags(config),
            opts=child,
        )
        return [
            aws.efs.MountTarget(
                f"{name}-mount-{zone}",
                file_system_id=file_system.id,
                subnet_id=subnet_id,
                security_groups=[security_group.id],
                opts=child,
            )
            for zone, subnet_id in zip(
                config.availability_zones, network.private_subnet_ids, strict=True
            )
        ]

    def csi_driver(
        self,
        name: str,
        config: AwsLayerConfig,
        cluster: Cluster,
        mount_targets: list[aws.efs.MountTarget],
    ) -> None:
        """The EFS CSI add-on, whose controller creates an access point per volume with
        its own Pod Identity role."""
        child = pulumi.ResourceOptions(parent=self)
        driver_role = aws.iam.Role(
            f"{name}-csi-driver",
            assume_role_policy=iam.trust_pod_identity(),
            tags=tags(config),
            opts=child,
        )
        driver_policy = aws.iam.RolePolicyAttachment(
            f"{name}-csi-driver",
            role=driver_role.name,
            policy_arn=CSI_DRIVER_POLICY,
            opts=child,
        )
        aws.eks.Addon(
            f"{name}-csi-driver",
            cluster_name=cluster.name,
            addon_name=CSI_DRIVER_ADDON,
            pod_identity_associations=[
                {"role_arn": driver_role.arn, "service_account": CSI_CONTROLLER_ACCOUNT}
            ],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="PRESERVE",
            tags=tags(config),
            # The driver runs on nodes: it is active only once the system nodes are.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[driver_policy, cluster.system_nodes, *mount_targets]
            ),
        )


class PredictionStorage(pulumi.ComponentResource):
    """The cluster layer's part: a storage class on the file system and the claim."""

    claim_name: str

    def __init__(
        self,
        name: str,
        config: ClusterLayerConfig,
        cluster: ClusterConnection,
        namespace: AppNamespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(component_type(config, "PredictionStorage"), name, None, opts)
        class_name = f"{config.project}-prediction-log"
        storage_class = kubernetes.storage.v1.StorageClass(
            f"{name}-class",
            metadata={"name": class_name},
            provisioner="efs.csi.aws.com",
            parameters={
                # One EFS access point per volume, its root owned by the service's user.
                "provisioningMode": "efs-ap",
                "fileSystemId": cluster.output("predictionFileSystemId"),
                "directoryPerms": "700",
                "uid": str(RUN_AS_USER),
                "gid": str(RUN_AS_USER),
                "basePath": "/prediction-log",
            },
            reclaim_policy="Delete",
            volume_binding_mode="Immediate",
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider),
        )
        self.claim_name = f"{config.project}-prediction-log"
        kubernetes.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata={"name": self.claim_name, "namespace": namespace.name},
            spec={
                "accessModes": ["ReadWriteMany"],
                "storageClassName": class_name,
                "resources": {"requests": {"storage": NOMINAL_SIZE}},
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=[namespace, storage_class]
            ),
        )
        self.register_outputs({"claim_name": self.claim_name})
