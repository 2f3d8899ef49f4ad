"""Batch scoring in the cluster: a private, versioned, KMS-encrypted bucket; an Indexed Job
from the service's image over its input's files; a role that may read the input and
write the results and nothing else; a pod that reaches S3 and nothing inside the VPC."""

import fnmatch
import importlib
import json

from cloud.batch_scoring import UNREADABLE_INPUT_EXIT_CODE
from tests.infra.conftest import Plan

BUCKET = "aws:s3/bucket:Bucket"


def batch_cron_job(plan: Plan) -> dict:
    [job] = [
        job for job in plan.kubernetes("CronJob") if job["metadata"]["name"].endswith("-batch")
    ]
    return job


def job_policy(plan: Plan) -> list[dict]:
    policy = plan.one("aws:iam/rolePolicy:RolePolicy", "batch-job")
    return json.loads(policy["policy"])["Statement"]


def allowed(statements: list[dict], action: str, resource: str, prefix: str | None = None) -> bool:
    """IAM's answer for one request, for the statements this policy uses (Allow only,
    ARN wildcards, StringLike on s3:prefix)."""
    for statement in statements:
        actions = statement["Action"]
        resources = statement["Resource"]
        if action not in actions or not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        like = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if like is None or (
            prefix is not None and any(fnmatch.fnmatchcase(prefix, p) for p in like)
        ):
            return True
    return False


def test_the_bucket_is_private_versioned_encrypted_with_its_own_key_and_tls_only(
    plan: Plan,
) -> None:
    bucket = plan.one(BUCKET, "batch-bucket")
    # S3 adds 26 characters to the prefix; a name has at most 63.
    assert len(bucket["bucketPrefix"]) <= 37
    assert bucket["forceDestroy"] is False
    assert plan.one("aws:kms/key:Key", "batch-key")["enableKeyRotation"] is True
    [rule] = plan.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "batch-encryption",
    )["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": plan.arn("kms", "key", "batch-key"),
    }
    versioning = plan.one("aws:s3/bucketVersioning:BucketVersioning", "batch-versioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    private = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "batch-private")
    assert all(
        private[key]
        for key in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    [lifecycle] = plan.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "batch-old-versions"
    )["rules"]
    # A killed shard leaves an upload that was never completed (docs/batch.md).
    assert lifecycle["abortIncompleteMultipartUpload"]["daysAfterInitiation"] >= 1
    [deny] = json.loads(plan.one("aws:s3/bucketPolicy:BucketPolicy", "batch-tls-only")["policy"])[
        "Statement"
    ]
    assert (deny["Effect"], deny["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


def test_the_jobs_role_reads_the_input_and_writes_results_only(plan: Plan) -> None:
    statements = job_policy(plan)
    arn = statements[0]["Resource"][0]
    assert arn.startswith("arn:") and all(
        resource.startswith(arn)
        for statement in statements[:3]
        for resource in statement["Resource"]
    )
    # What the job does (shards.py through Arrow's S3 client), each allowed.
    assert allowed(statements, "s3:ListBucket", arn, prefix="input/")
    assert allowed(statements, "s3:ListBucket", arn, prefix="output/_manifests/")
    assert allowed(statements, "s3:GetObject", f"{arn}/input/2026-12-01/a.parquet")
    assert allowed(statements, "s3:GetObject", f"{arn}/output/_manifests/a.json")
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"):
        assert allowed(statements, action, f"{arn}/output/a.parquet")
    # And nothing more.
    assert not allowed(statements, "s3:ListBucket", arn, prefix="")
    assert not allowed(statements, "s3:ListBucket", arn)
    assert not allowed(statements, "s3:PutObject", f"{arn}/input/a.parquet")
    assert not allowed(statements, "s3:DeleteObject", f"{arn}/input/a.parquet")
    assert not allowed(statements, "s3:GetObject", f"{arn}/elsewhere/a.parquet")
    assert not allowed(statements, "s3:GetObject", "arn:aws:s3:::another-bucket/input/a.parquet")
    [kms] = [statement for statement in statements if statement["Action"][0].startswith("kms:")]
    assert kms["Resource"] == [plan.arn("kms", "key", "batch-key")]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}


def test_the_role_is_bound_to_the_jobs_service_account_alone(plan: Plan) -> None:
    association = plan.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "batch-job")
    pod = batch_cron_job(plan)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert association["serviceAccount"] == pod["serviceAccountName"]
    assert association["namespace"] == batch_cron_job(plan)["metadata"]["namespace"]
    assert pod["automountServiceAccountToken"] is False


def test_an_indexed_job_over_the_buckets_input_suspended_until_scheduled(plan: Plan) -> None:
    cron_job = batch_cron_job(plan)
    spec = cron_job["spec"]
    job = spec["jobTemplate"]["spec"]
    [container] = job["template"]["spec"]["containers"]
    [rollout] = plan.kubernetes("Rollout")
    [service] = rollout["spec"]["template"]["spec"]["containers"]

    assert spec["suspend"] is True
    assert (job["completionMode"], job["completions"], job["parallelism"]) == ("Indexed", 4, 2)
    assert container["image"] == service["image"]
    assert container["command"][:2] == ["python", "-m"]
    # The package's module the image runs (this folder is not rendered with its name).
    shards = importlib.import_module(container["command"][2])
    bucket = plan.exports["batchBucket"]
    arguments = container["args"]
    assert arguments[arguments.index("--input") + 1] == f"s3://{bucket}/input/"
    assert arguments[arguments.index("--output") + 1] == f"s3://{bucket}/output/"
    assert arguments[arguments.index("--count") + 1] == str(int(job["completions"]))
    assert {"name": "AWS_REGION", "value": "us-east-1"} in container["env"]
    # Each index retried on its own; an unreadable file fails its index at once.
    assert job["backoffLimitPerIndex"] >= 1 and "backoffLimit" not in job
    [rule] = job["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailIndex"
    assert rule["onExitCodes"] == {
        "containerName": container["name"],
        "operator": "In",
        "values": [shards.UNREADABLE_INPUT],
    }
    assert shards.UNREADABLE_INPUT == UNREADABLE_INPUT_EXIT_CODE
    assert job["template"]["spec"]["restartPolicy"] == "Never"


def test_a_schedule_and_the_shards_are_settings(plan_variant) -> None:
    variant = plan_variant(
        "dev-cluster",
        "batch-schedule",
        'batch={"shards": 16, "parallelism": 8, "schedule": "30 2 * * *"}',
    )
    spec = batch_cron_job(variant)["spec"]
    job = spec["jobTemplate"]["spec"]
    assert (spec["suspend"], spec["schedule"]) == (False, "30 2 * * *")
    assert (job["completions"], job["parallelism"]) == (16, 8)


def test_the_job_reaches_s3_and_the_pod_identity_agent_and_nothing_in_the_vpc(plan: Plan) -> None:
    [policy] = [
        item
        for item in plan.kubernetes("NetworkPolicy")
        if item["metadata"]["name"].endswith("-batch")
    ]
    spec = policy["spec"]
    assert spec["ingress"] == [] and spec["policyTypes"] == ["Ingress", "Egress"]
    https, agent, *dns = spec["egress"]
    assert https == {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [plan.exports["vpcCidr"]]}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    assert agent["to"] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
    assert all(rule["ports"][0]["port"] == 53 for rule in dns)


def test_s3_traffic_from_the_private_subnets_skips_the_nat_gateways(plan: Plan) -> None:
    endpoint = plan.one("aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
    private_routes = sorted(
        f"{table['name']}-id"
        for table in plan.all("aws:ec2/routeTable:RouteTable")
        if table["name"].startswith("network-private-")
    )
    assert endpoint["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"
    assert sorted(endpoint["routeTableIds"]) == private_routes
