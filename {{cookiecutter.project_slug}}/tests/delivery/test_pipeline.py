"""What the workflows do, where, and in which order: checks on pull requests, then on every
push to main a canary in staging followed by one in production, each behind the SLO gate;
what talks to the private cluster runs on the in-VPC runner, and nothing else does."""

from typing import Any

from tests.delivery.workflows import delivery_settings, runs, workflow

ENVIRONMENTS = ["staging", "production"]
GITHUB_HOSTED = "ubuntu-24.04"
# The CodeBuild project `<prefix>-<environment>`, one runner per job attempt.
IN_VPC_RUNNER = (
    "codebuild-${{ vars.RUNNER_PROJECT_PREFIX }}-${{ %s }}"
    "-${{ github.run_id }}-${{ github.run_attempt }}"
)


def jobs() -> dict[str, dict[str, Any]]:
    """Every job of every workflow, as `<workflow>.<job>`."""
    return {
        f"{name}.{job_name}": job
        for name in ("ci", "deploy", "deliver", "rollback", "infra")
        for job_name, job in workflow(name)["jobs"].items()
    }


def talks_to_the_cluster(job: dict[str, Any]) -> bool:
    """It runs kubectl, or applies a cluster layer (stack `<environment>-cluster`)."""
    applies_a_cluster_layer = "-cluster" in str(job.get("env", {}).get("PULUMI_STACK", ""))
    return applies_a_cluster_layer or any("kubectl" in script for script in runs(job))


def deliver_job(name: str) -> dict[str, Any]:
    return workflow("deliver")["jobs"][name]


def test_checks_run_on_pull_requests_and_when_delivery_calls_them() -> None:
    assert set(workflow("ci")["on"]) == {"pull_request", "workflow_call"}


def test_delivery_runs_on_every_push_to_main_and_nothing_else() -> None:
    assert workflow("deploy")["on"] == {"push": {"branches": ["main"]}}


def test_staging_needs_the_checks_and_production_needs_staging() -> None:
    jobs = workflow("deploy")["jobs"]

    assert jobs["checks"]["uses"] == "$/.github/workflows/ci.yml"
    assert "needs" not in jobs["checks"]
    assert jobs["staging"]["needs"] == "checks"
    assert jobs["production"]["needs"] == "staging"
    for environment in ENVIRONMENTS:
        assert jobs[environment]["uses"] == "$/.github/workflows/deliver.yml"
        assert jobs[environment]["with"] == {"environment": environment}


def test_each_delivery_runs_in_its_github_environment_one_at_a_time_never_cancelled() -> None:
    for name in ("build", "deploy"):
        job = deliver_job(name)
        assert job["environment"]["name"] == "${{ inputs.environment }}", name
        assert job["concurrency"] == {
            "group": "deliver-${{ inputs.environment }}",
            "cancel-in-progress": False,
        }, name


def test_the_image_is_built_on_github_and_deployed_from_inside_the_vpc() -> None:
    build, deploy = deliver_job("build"), deliver_job("deploy")

    assert build["runs-on"] == GITHUB_HOSTED
    assert deploy["runs-on"] == IN_VPC_RUNNER % "inputs.environment"
    assert deploy["needs"] == "build"
    assert build["outputs"] == {"digest": "${{ steps.image.outputs.digest }}"}
    assert deploy["env"]["DIGEST"] == "${{ needs.build.outputs.digest }}"
    assert not any("kubectl" in script for script in runs(build))
    assert not any(step.get("id") == "image" for step in deploy["steps"])


def test_every_job_that_talks_to_the_cluster_runs_on_the_in_vpc_runner_and_only_those() -> None:
    in_vpc = {
        name for name, job in jobs().items() if str(job.get("runs-on", "")).startswith("codebuild-")
    }
    talking = {name for name, job in jobs().items() if talks_to_the_cluster(job)}

    assert in_vpc == talking == {"deliver.deploy", "rollback.rollback", "infra.up"}
    for name, job in jobs().items():
        if name not in in_vpc and "uses" not in job:
            assert job["runs-on"] == GITHUB_HOSTED, name


def test_a_job_on_the_in_vpc_runner_waits_until_its_runner_variable_was_checked() -> None:
    for name, check in [
        ("deliver.deploy", "build"),
        ("rollback.rollback", "runner"),
        ("infra.up", "runner"),
    ]:
        workflow_name = name.split(".")[0]
        assert jobs()[name]["needs"] == check, name
        assert any(
            "require-variables.sh" in script and "RUNNER_PROJECT_PREFIX" in script
            for script in runs(workflow(workflow_name)["jobs"][check])
        ), name


def test_a_manual_rollback_waits_in_the_same_queue_as_delivery() -> None:
    rollback = workflow("rollback")
    job = rollback["jobs"]["rollback"]
    choice = rollback["on"]["workflow_dispatch"]["inputs"]["environment"]

    assert choice["options"] == ENVIRONMENTS
    assert job["runs-on"] == IN_VPC_RUNNER % "inputs.environment"
    assert job["concurrency"] == deliver_job("deploy")["concurrency"]
    assert any("kubectl argo rollouts undo" in script for script in runs(job))
    assert any("kubectl argo rollouts status" in script for script in runs(job))


def test_pull_request_checks_gate_the_built_bento_on_the_slos() -> None:
    scripts = runs(workflow("ci")["jobs"]["smoke"])
    build = next(index for index, script in enumerate(scripts) if "make bento" in script)
    serve = next(index for index, script in enumerate(scripts) if "build/bento" in script)
    gate = next(index for index, script in enumerate(scripts) if "make loadtest" in script)

    assert build < serve < gate
    assert any("verdict.md" in script and "GITHUB_STEP_SUMMARY" in script for script in scripts)


def test_the_full_test_suite_runs_with_prometheus_for_the_rehearsal() -> None:
    job = workflow("ci")["jobs"]["test"]
    scripts = runs(job)

    assert any("install" in script and "prometheus" in script for script in scripts)
    test_step = next(step for step in job["steps"] if step.get("run") == "make test")
    assert test_step["env"] == {"CI": "true"}


def test_delivery_deploys_the_pushed_digest_once_scanned_and_fails_with_the_canary() -> None:
    build, deploy = deliver_job("build"), deliver_job("deploy")
    scripts = runs(deploy)
    image = next(step for step in build["steps"] if step.get("id") == "image")
    set_image = next(
        index for index, script in enumerate(scripts) if "rollouts set image" in script
    )
    status = next(index for index, script in enumerate(scripts) if "rollouts status" in script)

    assert image["with"]["tags"].endswith(":${{ github.sha }}")
    assert "scan_gate.py" in runs(build)[-1]
    assert set_image < status
    assert '@${DIGEST}"' in scripts[set_image]
    assert "--timeout" in scripts[status]


def test_every_step_that_talks_to_the_cluster_says_why_it_failed() -> None:
    # kubectl's own words first, then delivery/cluster_error.py's sentence for the cause.
    [start] = [step["run"] for step in deliver_job("deploy")["steps"] if step.get("id") == "canary"]
    lookup = next(line for line in start.splitlines() if "kubectl get rollout" in line)
    assert "2>&1 > /dev/null" in lookup and "/dev/null 2>" not in lookup
    assert start.index('echo "$error" >&2') < start.index("python3 delivery/cluster_error.py")

    followed = [
        step["run"]
        for job in (deliver_job("deploy"), workflow("rollback")["jobs"]["rollback"])
        for step in job["steps"]
        if "rollouts status" in step.get("run", "") or "rollouts undo" in step.get("run", "")
    ]
    assert len(followed) == 3
    assert all("cluster_error.py" in script for script in followed)


def test_the_image_cache_lives_in_ecr_in_the_form_ecr_accepts() -> None:
    image = next(step for step in deliver_job("build")["steps"] if step.get("id") == "image")
    assert "image-manifest=true,oci-mediatypes=true" in image["with"]["cache-to"]
    assert image["with"]["cache-from"].endswith(":buildcache")


def test_a_failed_rollout_leaves_its_analysis_and_gate_logs_behind() -> None:
    steps = deliver_job("deploy")["steps"]
    on_failure = [step for step in steps if "failure()" in str(step.get("if", ""))]

    assert any("collect-rollout-evidence.sh" in step.get("run", "") for step in on_failure)
    assert any(step.get("uses", "").startswith("actions/upload-artifact@") for step in on_failure)


def test_no_aws_key_is_read_from_secrets_anywhere() -> None:
    for name in ("ci", "deploy", "deliver", "rollback", "infra"):
        text = str(workflow(name))
        assert "secrets." not in text, name
        assert "aws-access-key-id" not in text, name


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    return next(step for step in job["steps"] if step.get("uses", "").startswith("pulumi/"))


def test_a_pull_request_previews_dev_s_aws_layer_on_github_with_no_environment() -> None:
    infra = workflow("infra")
    preview = infra["jobs"]["preview"]
    role = next(step for step in preview["steps"] if "role-to-assume" in step.get("with", {}))

    assert infra["on"]["pull_request"]["paths"][0] == "infra/**"
    assert preview["if"] == "${{ github.event_name == 'pull_request' }}"
    assert preview["runs-on"] == GITHUB_HOSTED
    assert "environment" not in preview and "strategy" not in preview
    assert pulumi_step(preview)["with"]["command"] == "preview"
    assert pulumi_step(preview)["with"]["stack-name"] == "dev"
    assert role["with"]["role-to-assume"] == "${{ vars.PULUMI_PREVIEW_ROLE_ARN }}"


def test_main_applies_the_cluster_layers_staging_before_production_from_inside_the_vpc() -> None:
    infra = workflow("infra")
    up = infra["jobs"]["up"]
    role = next(step for step in up["steps"] if "role-to-assume" in step.get("with", {}))
    environments = up["strategy"]["matrix"]["environment"]

    assert infra["on"]["push"] == {
        "branches": ["main"],
        "paths": infra["on"]["pull_request"]["paths"],
    }
    assert infra["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == ENVIRONMENTS
    assert '\'["staging", "production"]\'' in environments
    assert up["if"] == "${{ github.event_name != 'pull_request' }}"
    assert up["runs-on"] == IN_VPC_RUNNER % "matrix.environment"
    assert up["strategy"]["max-parallel"] == 1 and up["strategy"]["fail-fast"] is True
    assert up["environment"] == "${{ matrix.environment }}"
    assert up["env"]["PULUMI_STACK"] == (
        "${{ matrix.environment == 'production' && 'prod-cluster' || 'dev-cluster' }}"
    )
    assert pulumi_step(up)["with"]["command"] == "up"
    assert pulumi_step(up)["with"]["stack-name"] == "${{ env.PULUMI_STACK }}"
    assert role["with"]["role-to-assume"] == "${{ vars.PULUMI_CLUSTER_ROLE_ARN }}"


def test_no_job_of_the_infra_workflow_applies_an_aws_layer() -> None:
    for job in workflow("infra")["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("pulumi/") and step["with"]["command"] == "up":
                assert "cluster" in str(job["env"]["PULUMI_STACK"])


def test_applying_a_cluster_layer_waits_in_the_same_queue_as_its_delivery() -> None:
    up = workflow("infra")["jobs"]["up"]
    assert up["concurrency"] == {
        "group": "deliver-${{ matrix.environment }}",
        "cancel-in-progress": False,
    }
    assert deliver_job("deploy")["concurrency"]["group"] == "deliver-${{ inputs.environment }}"


def test_workflows_read_bake_time_values_from_the_one_rendered_file() -> None:
    settings = delivery_settings()

    assert set(settings) >= {"AWS_REGION", "ROLLOUT_NAME", "UV_VERSION", "ARGO_ROLLOUTS_VERSION"}
    assert all(value and "{{" not in value for value in settings.values())


def test_the_image_is_signed_and_its_signature_checked_before_it_is_deployed() -> None:
    build, deploy = deliver_job("build"), deliver_job("deploy")
    order = [
        step.get("uses", "").split("@")[0] or step.get("run", "")
        for step in build["steps"] + deploy["steps"]
    ]

    def position(fragment: str) -> int:
        return next(index for index, entry in enumerate(order) if fragment in entry)

    assert (
        position("docker/build-push-action")
        < position("anchore/sbom-action")
        < position("actions/attest-build-provenance")
        < position("actions/attest-sbom")
        < position("gh attestation verify")
        < position("rollouts set image")
    )
    assert "--signer-workflow" in order[position("gh attestation verify")]
    assert build["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }
    assert deploy["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "read",
    }


def test_only_delivery_s_build_may_write_attestations() -> None:
    for name, job in jobs().items():
        if name not in {"deliver.build", "deploy.staging", "deploy.production"}:
            assert job.get("permissions", {}).get("attestations") != "write", name


def test_the_drift_job_follows_the_image_only_once_it_is_promoted() -> None:
    for name, job in (("deliver", "deploy"), ("rollback", "rollback")):
        scripts = runs(workflow(name)["jobs"][job])
        status = next(i for i, script in enumerate(scripts) if "rollouts status" in script)
        drift = next(i for i, script in enumerate(scripts) if "cronjob/" in script)
        assert status < drift, name
