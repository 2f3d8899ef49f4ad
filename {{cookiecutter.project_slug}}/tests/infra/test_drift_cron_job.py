"""The drift CronJob: the service's image, the shared log read-only, results to the
Pushgateway, as locked down as the service, and reachable by nothing."""

from tests.infra.conftest import Plan


def drift_cron_job(plan: Plan) -> dict:
    [job] = [
        job for job in plan.kubernetes("CronJob") if job["metadata"]["name"].endswith("drift-job")
    ]
    return job


def drift_pod(plan: Plan) -> dict:
    return drift_cron_job(plan)["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def argument(container: dict, flag: str) -> str:
    return container["args"][container["args"].index(flag) + 1]


def test_the_job_runs_the_drift_job_hourly_from_the_rollouts_image(plan: Plan) -> None:
    [rollout] = plan.kubernetes("Rollout")
    [service] = rollout["spec"]["template"]["spec"]["containers"]
    [container] = drift_pod(plan)["containers"]
    spec = drift_cron_job(plan)["spec"]

    assert container["image"] == service["image"]
    assert container["command"][:2] == ["python", "-m"]
    assert container["command"][2].endswith(".monitoring.drift_job")
    assert spec["schedule"].split()[1:] == ["*", "*", "*", "*"]
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] <= 1
    assert 0 < job["activeDeadlineSeconds"] <= 3600


def test_delivery_owns_the_jobs_image(plan: Plan) -> None:
    [record] = [
        item
        for item in plan.all("kubernetes:batch/v1:CronJob")
        if item["inputs"]["metadata"]["name"].endswith("drift-job")
    ]
    assert record["ignoreChanges"] == ["spec.jobTemplate.spec.template.spec.containers[0].image"]


def test_the_job_prunes_and_reads_the_shared_log_and_pushes_to_the_pushgateway(
    plan: Plan,
) -> None:
    pod = drift_pod(plan)
    [container] = pod["containers"]
    [claim] = plan.kubernetes("PersistentVolumeClaim")
    [log_volume] = [volume for volume in pod["volumes"] if "persistentVolumeClaim" in volume]
    [log_mount] = [m for m in container["volumeMounts"] if m["name"] == log_volume["name"]]
    [rollout] = plan.kubernetes("Rollout")
    [service] = rollout["spec"]["template"]["spec"]["containers"]
    [service_mount] = [m for m in service["volumeMounts"] if m["name"] == log_volume["name"]]

    # Writable: the job deletes what the retention no longer allows.
    assert log_volume["persistentVolumeClaim"] == {"claimName": claim["metadata"]["name"]}
    assert "readOnly" not in log_mount
    assert argument(container, "--retention-days") == "30"
    assert argument(container, "--retention-gib") == "50"
    assert argument(container, "--log-dir") == log_mount["mountPath"] == service_mount["mountPath"]
    assert argument(container, "--pushgateway") == (
        "http://prometheus-pushgateway.monitoring.svc.cluster.local:9091"
    )
    assert argument(container, "--namespace") == drift_cron_job(plan)["metadata"]["namespace"]


def test_the_job_is_locked_down_like_the_service(plan: Plan) -> None:
    pod = drift_pod(plan)
    [container] = pod["containers"]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}

    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 1034
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    # The root filesystem is read-only: the results go to a scratch volume.
    output = argument(container, "--output")
    [scratch] = [path for path in mounts if output.startswith(f"{path}/")]
    assert "emptyDir" in volumes[mounts[scratch]]
    assert set(container["resources"]["requests"]) == set(container["resources"]["limits"])


def test_the_job_may_call_only_dns_and_the_pushgateway_and_nothing_may_call_it(
    plan: Plan,
) -> None:
    [policy] = [
        policy
        for policy in plan.kubernetes("NetworkPolicy")
        if policy["spec"]["podSelector"].get("matchLabels") == drift_pod_labels(plan)
    ]
    egress = policy["spec"]["egress"]
    [pushgateway] = [rule for rule in egress if rule["ports"][0]["port"] == 9091]
    others = [rule for rule in egress if rule is not pushgateway]

    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] == []
    assert pushgateway["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus-pushgateway"}},
        }
    ]
    assert all({port["port"] for port in rule["ports"]} == {53} for rule in others)


def drift_pod_labels(plan: Plan) -> dict:
    return drift_cron_job(plan)["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
