"""The prediction log's shared volume: encrypted EFS reachable only from the cluster,
mounted by the EFS CSI add-on, claimed ReadWriteMany, a folder per service pod."""

import json

from tests.infra.conftest import Plan

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EFS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"


def pod_spec(plan: Plan) -> dict:
    [rollout] = plan.kubernetes("Rollout")
    return rollout["spec"]["template"]["spec"]


def test_the_file_system_is_encrypted_with_its_own_rotating_key(plan: Plan) -> None:
    file_system = plan.one(FILE_SYSTEM)
    key = plan.one("aws:kms/key:Key", "prediction-storage-key")
    assert file_system["encrypted"] is True
    assert file_system["kmsKeyId"] == plan.arn("kms", "key", "prediction-storage-key")
    assert key["enableKeyRotation"] is True


def test_there_is_a_mount_target_in_every_private_subnet(plan: Plan) -> None:
    private_subnets = {
        f"{subnet['name']}-id"
        for subnet in plan.all("aws:ec2/subnet:Subnet")
        if subnet["name"].startswith("network-private-")
    }
    targets = plan.all(MOUNT_TARGET)
    assert {target["inputs"]["subnetId"] for target in targets} == private_subnets
    assert len(targets) == len(private_subnets) >= 2
    assert all(target["inputs"]["fileSystemId"] for target in targets)
    assert all(
        target["inputs"]["securityGroups"] == ["prediction-storage-nfs-id"] for target in targets
    )


def test_only_nfs_from_the_cluster_security_group_reaches_the_file_system(plan: Plan) -> None:
    group = plan.one("aws:ec2/securityGroup:SecurityGroup", "prediction-storage-nfs")
    rules = [
        rule["inputs"]
        for rule in plan.all(INGRESS_RULE)
        if rule["inputs"]["securityGroupId"] == "prediction-storage-nfs-id"
    ]
    assert not group.get("ingress") and not group.get("egress")
    assert rules == [
        {
            **rules[0],
            "ipProtocol": "tcp",
            "fromPort": 2049,
            "toPort": 2049,
            "referencedSecurityGroupId": "sg-cluster",
        }
    ]
    assert "cidrIpv4" not in rules[0]
    assert plan.all("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule") == []


def test_the_csi_driver_addon_has_a_pod_identity_role_with_only_the_efs_policy(
    plan: Plan,
) -> None:
    addon = plan.one("aws:eks/addon:Addon", "prediction-storage-csi-driver")
    [association] = addon["podIdentityAssociations"]
    role_name = association["roleArn"].rsplit("/", 1)[-1]
    attached = [
        item["inputs"]["policyArn"]
        for item in plan.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if item["inputs"]["role"] == role_name
    ]
    inline = [
        item
        for item in plan.all("aws:iam/rolePolicy:RolePolicy")
        if item["inputs"]["role"] in (role_name, f"{role_name}-id")
    ]
    trust = plan.one("aws:iam/role:Role", role_name)["assumeRolePolicy"]

    assert addon["addonName"] == "aws-efs-csi-driver"
    assert association["serviceAccount"] == "efs-csi-controller-sa"
    assert attached == [EFS_CSI_POLICY]
    assert inline == []
    assert "pods.eks.amazonaws.com" in trust


def test_the_claim_is_shared_by_every_pod_through_an_access_point_the_service_owns(
    plan: Plan,
) -> None:
    [storage_class] = plan.kubernetes("StorageClass")
    [claim] = plan.kubernetes("PersistentVolumeClaim")
    parameters = storage_class["parameters"]

    assert storage_class["provisioner"] == "efs.csi.aws.com"
    assert parameters["provisioningMode"] == "efs-ap"
    assert parameters["fileSystemId"] == "prediction-storage-file-system-id"
    assert parameters["directoryPerms"] == "700"
    run_as = str(int(pod_spec(plan)["securityContext"]["runAsUser"]))
    assert parameters["uid"] == parameters["gid"] == run_as == "1034"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == storage_class["metadata"]["name"]
    assert claim["metadata"]["namespace"] == plan.kubernetes("Namespace")[0]["metadata"]["name"]


def test_each_service_pod_logs_to_its_own_folder_of_the_shared_volume(plan: Plan) -> None:
    spec = pod_spec(plan)
    [claim] = plan.kubernetes("PersistentVolumeClaim")
    [container] = spec["containers"]
    volumes = {volume["name"]: volume for volume in spec["volumes"]}
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    env = {item["name"]: item for item in container["env"]}

    [(mount_path, mount)] = [
        (path, mount) for path, mount in mounts.items() if mount["name"] == "prediction-log"
    ]
    assert volumes["prediction-log"]["persistentVolumeClaim"] == {
        "claimName": claim["metadata"]["name"]
    }
    assert not mount.get("readOnly")
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    # $(POD_NAME) expands only if POD_NAME is declared before it.
    names = [item["name"] for item in container["env"]]
    assert names.index("POD_NAME") < names.index("SERVICE_PREDICTION_LOG_DIR")
    assert env["SERVICE_PREDICTION_LOG_DIR"]["value"] == f"{mount_path}/$(POD_NAME)"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_file_system_refuses_connections_without_tls_and_root_access(plan: Plan) -> None:
    policy = json.loads(plan.one("aws:efs/fileSystemPolicy:FileSystemPolicy")["policy"])
    allow, deny = policy["Statement"]
    file_system = plan.arn("efs", "filesystem", "prediction-storage-file-system")

    assert allow["Resource"] == deny["Resource"] == file_system
    assert allow["Effect"] == "Allow"
    assert allow["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    assert (deny["Effect"], deny["Action"]) == ("Deny", "*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_csi_driver_mounts_with_tls(plan: Plan) -> None:
    """encryptInTransit is true unless a volume turns it off: the policy above would then
    refuse the mount, so no storage class may."""
    [storage_class] = plan.kubernetes("StorageClass")
    assert storage_class["parameters"].get("encryptInTransit", "true") == "true"
