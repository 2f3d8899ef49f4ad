"""What the workflows do, where, and in which order: checks on pull requests, then on every
push to main one build, a canary in staging and a canary of the same digest in production,
each behind the SLO gate; what talks to the private cluster runs on the in-VPC runner, and
nothing else does."""

from typing import Any

from tests.delivery.workflows import PROJECT, delivery_settings, runs, workflow

ENVIRONMENTS = ["staging", "production"]
WORKFLOWS = ("ci", "deploy", "build", "deliver", "rollback", "infra")
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
        for name in WORKFLOWS
        for job_name, job in workflow(name)["jobs"].items()
    }


def talks_to_the_cluster(job: dict[str, Any]) -> bool:
    """It runs kubectl, or applies a cluster layer (stack `<environment>-cluster`)."""
    applies_a_cluster_layer = "-cluster" in str(job.get("env", {}).get("PULUMI_STACK", ""))
    return applies_a_cluster_layer or any("kubectl" in script for script in runs(job))


def deliver_job(name: str) -> dict[str, Any]:
    return workflow("deliver")["jobs"][name]


def build_job() -> dict[str, Any]:
    return workflow("build")["jobs"]["build"]


def step_order(*jobs: dict[str, Any]) -> list[str]:
    """Each step as the action it uses (without the pin) or the script it runs."""
    return [
        step.get("uses", "").split("@")[0] or step.get("run", "")
        for job in jobs
        for step in job["steps"]
    ]


def position(order: list[str], fragment: str) -> int:
    return next(index for index, entry in enumerate(order) if fragment in entry)


def when(step: dict[str, Any]) -> str:
    return str(step.get("if", ""))


FIRST_RELEASE = "${{ steps.rollout.outputs.first-release == 'true' }}"
CANARY = "${{ steps.rollout.outputs.first-release == 'false' }}"


def test_checks_run_on_pull_requests_and_when_delivery_calls_them() -> None:
    assert set(workflow("ci")["on"]) == {"pull_request", "workflow_call"}


def test_delivery_runs_on_every_push_to_main_and_nothing_else() -> None:
    assert workflow("deploy")["on"] == {"push": {"branches": ["main"]}}


def test_one_build_then_staging_then_production_with_the_digest_staging_released() -> None:
    jobs = workflow("deploy")["jobs"]

    assert jobs["checks"]["uses"] == "$/.github/workflows/ci.yml"
    assert "needs" not in jobs["checks"]
    assert jobs["build"] == {
        "needs": "checks",
        "uses": "$/.github/workflows/build.yml",
        "permissions": {"contents": "read", "id-token": "write"},
    }
    assert jobs["staging"]["needs"] == "build"
    assert jobs["production"]["needs"] == "staging"
    assert jobs["staging"]["with"] == {
        "environment": "staging",
        "image": "${{ needs.build.outputs.image }}",
    }
    assert jobs["production"]["with"] == {
        "environment": "production",
        "image": "${{ needs.staging.outputs.image }}",
    }
    for environment in ENVIRONMENTS:
        assert jobs[environment]["uses"] == "$/.github/workflows/deliver.yml"
    # What a delivery released is what it passes on.
    assert workflow("deliver")["on"]["workflow_call"]["outputs"]["image"]["value"] == (
        "${{ jobs.deploy.outputs.image }}"
    )
    assert deliver_job("deploy")["outputs"] == {"image": "${{ steps.promoted.outputs.image }}"}
    assert workflow("build")["on"]["workflow_call"]["outputs"]["image"]["value"] == (
        "${{ jobs.build.outputs.image }}"
    )
    assert build_job()["outputs"] == {"image": "${{ steps.signed.outputs.image }}"}


def test_production_never_builds_it_promotes() -> None:
    order = step_order(deliver_job("deploy"))

    assert not any("build-push-action" in entry or "make bento" in entry for entry in order)
    assert "cosign copy" in (PROJECT / "delivery" / "promote-image.sh").read_text()
    assert position(order, "promote-image.sh") < position(order, "verify-image.sh")


def test_each_delivery_runs_in_its_github_environment_one_at_a_time_never_cancelled() -> None:
    deploy = deliver_job("deploy")

    assert deploy["environment"]["name"] == "${{ inputs.environment }}"
    assert deploy["concurrency"] == {
        "group": "deliver-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }
    # The build is staging's: its role, its registry.
    assert build_job()["environment"]["name"] == "staging"


def test_pushes_are_delivered_one_at_a_time_in_order() -> None:
    """A newer push waits for the run before it; only a run not started yet is replaced."""
    assert workflow("deploy")["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    # Only the deploy job queues per environment too (with infra.yml's up and rollback):
    # a pending build there could be replaced by an older run's deploy.
    assert "concurrency" not in build_job()


def test_production_s_reviewers_approve_once() -> None:
    """GitHub asks for approval once per job that names a protected environment."""
    in_an_environment = [
        name for name, job in workflow("deliver")["jobs"].items() if "environment" in job
    ]
    assert in_an_environment == ["deploy"]


def test_the_image_is_built_on_github_and_deployed_from_inside_the_vpc() -> None:
    build, deploy = build_job(), deliver_job("deploy")

    assert build["runs-on"] == GITHUB_HOSTED
    assert deploy["runs-on"] == IN_VPC_RUNNER % "inputs.environment"
    assert deploy["env"]["SOURCE_IMAGE"] == "${{ inputs.image }}"
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
        ("deliver.deploy", "runner"),
        ("rollback.rollback", "runner"),
        ("infra.up", "runner"),
    ]:
        workflow_name = name.split(".")[0]
        checks = runs(workflow(workflow_name)["jobs"][check])
        assert jobs()[name]["needs"] == check, name
        assert any(
            "require-variables.sh" in script and "RUNNER_PROJECT_PREFIX" in script
            for script in checks
        ), name
        # An environment not provisioned has no runner: fail here, not wait a day there.
        assert any('require-environment.sh "$ENVIRONMENT"' in script for script in checks), name


def test_production_is_delivered_to_once_it_is_provisioned() -> None:
    production = workflow("deploy")["jobs"]["production"]
    assert production["if"] == (
        "${{ contains(fromJSON(vars.DEPLOY_ENVIRONMENTS || '[]'), 'production') }}"
    )


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
    image = next(step for step in build_job()["steps"] if step.get("id") == "image")
    signed = next(step for step in build_job()["steps"] if step.get("id") == "signed")
    order = step_order(deliver_job("deploy"))

    assert image["with"]["tags"].endswith(":${{ github.sha }}")
    assert 'image="${ECR_REPOSITORY_URL}@${DIGEST}"' in signed["run"]
    # Each environment gates on its own registry's scan of the digest it deploys.
    assert position(order, "verify-image.sh") < position(order, "scan_gate.py")
    assert position(order, "scan_gate.py") < position(order, "rollouts set image")
    assert position(order, "scan_gate.py") < position(order, "pulumi/actions")
    assert position(order, "rollouts set image") < position(order, "rollouts status")
    assert '"service=${IMAGE}"' in order[position(order, "rollouts set image")]
    assert "--timeout" in order[position(order, "rollouts status")]


def test_every_step_that_talks_to_the_cluster_says_why_it_failed() -> None:
    # kubectl's own words first, then delivery/cluster_error.py's sentence for the cause.
    [find] = [step["run"] for step in deliver_job("deploy")["steps"] if step.get("id") == "rollout"]
    lookup = next(line for line in find.splitlines() if "kubectl get rollout" in line)
    assert "2>&1 > /dev/null" in lookup and "/dev/null 2>" not in lookup
    # A missing Rollout is the first release; anything else fails, kubectl's words first.
    assert 'cluster_error.py --cause <<< "$error")" = missing' in find
    assert find.index('echo "$error" >&2') < find.index("python3 delivery/cluster_error.py <<<")

    followed = [
        step["run"]
        for job in (deliver_job("deploy"), workflow("rollback")["jobs"]["rollback"])
        for step in job["steps"]
        if "rollouts status" in step.get("run", "") or "rollouts undo" in step.get("run", "")
    ]
    assert len(followed) == 4
    assert all("cluster_error.py" in script for script in followed)


def test_the_image_cache_lives_in_ecr_in_the_form_ecr_accepts() -> None:
    image = next(step for step in build_job()["steps"] if step.get("id") == "image")
    assert "image-manifest=true,oci-mediatypes=true" in image["with"]["cache-to"]
    assert image["with"]["cache-from"].endswith(":buildcache")


def test_a_failed_rollout_leaves_its_analysis_and_gate_logs_behind() -> None:
    steps = deliver_job("deploy")["steps"]
    on_failure = [step for step in steps if "failure()" in str(step.get("if", ""))]

    assert any("collect-rollout-evidence.sh" in step.get("run", "") for step in on_failure)
    assert any(step.get("uses", "").startswith("actions/upload-artifact@") for step in on_failure)


def test_no_aws_key_is_read_from_secrets_anywhere() -> None:
    for name in WORKFLOWS:
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
    # Every provisioned environment, in the order make github-variables lists them.
    assert "|| vars.DEPLOY_ENVIRONMENTS)" in environments
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
    build_order = step_order(build_job())
    deploy_order = step_order(deliver_job("deploy"))

    signing = build_order[position(build_order, "sign-image.sh")]

    assert (
        position(build_order, "docker/build-push-action")
        < position(build_order, "anchore/sbom-action")
        < position(build_order, "sign-image.sh")
    )
    assert signing.index("provenance.py write") < signing.index("sign-image.sh")
    assert position(deploy_order, "verify-image.sh") < position(deploy_order, "rollouts set image")
    assert position(deploy_order, "verify-image.sh") < position(deploy_order, "pulumi/actions")
    # Signing uses the KMS key through the deploy role: no GitHub attestation permission,
    # which private repositories on most plans cannot use.
    for name, job in jobs().items():
        assert "attestations" not in job.get("permissions", {}), name
    for job in (build_job(), deliver_job("deploy")):
        assert any("install-release-binary.sh sigstore/cosign" in script for script in runs(job))


def test_the_release_is_recorded_only_once_it_is_promoted() -> None:
    for name, job in (("deliver", "deploy"), ("rollback", "rollback")):
        scripts = runs(workflow(name)["jobs"][job])
        status = next(i for i, script in enumerate(scripts) if "rollouts status" in script)
        record = next(i for i, script in enumerate(scripts) if "record-release.sh" in script)
        assert status < record, name
    assert "cronjob/" in (PROJECT / "delivery" / "record-release.sh").read_text()


def test_the_first_release_records_its_image_then_creates_the_service_then_gates_it() -> None:
    steps = deliver_job("deploy")["steps"]
    first = [step for step in steps if when(step) == FIRST_RELEASE]
    order = step_order({"steps": first})
    role = next(step for step in first if "role-to-assume" in step.get("with", {}))
    up = next(step for step in first if step.get("uses", "").startswith("pulumi/"))

    assert position(order, "put-parameter") < position(order, "uv sync")
    assert position(order, "configure-aws-credentials") < position(order, "pulumi/actions")
    assert position(order, "pulumi/actions") < position(order, "first-release-gate.sh")
    gate = order[position(order, "first-release-gate.sh")]
    assert gate.index("rollouts status") < gate.index("first-release-gate.sh locust-gate")
    assert role["with"]["role-to-assume"] == "${{ vars.PULUMI_CLUSTER_ROLE_ARN }}"
    assert up["with"]["command"] == "up"
    assert up["with"]["stack-name"] == "${{ env.PULUMI_STACK }}"
    assert deliver_job("deploy")["env"]["PULUMI_STACK"] == (
        workflow("infra")["jobs"]["up"]["env"]["PULUMI_STACK"].replace("matrix.", "inputs.")
    )
    assert '--name "$RELEASE_RECORD" --value "$IMAGE"' in order[position(order, "put-parameter")]


def test_a_canary_and_a_first_release_never_both_run() -> None:
    steps = deliver_job("deploy")["steps"]
    canary = [step for step in steps if when(step) == CANARY]
    first = [step for step in steps if when(step) == FIRST_RELEASE]

    assert any("rollouts set image" in step.get("run", "") for step in canary)
    assert not any("rollouts set image" in step.get("run", "") for step in first)
    assert not any(step.get("uses", "").startswith("pulumi/") for step in canary)
    # Everything between finding the Rollout and the failure reports belongs to one path.
    found = next(index for index, step in enumerate(steps) if step.get("id") == "rollout")
    reports = next(index for index, step in enumerate(steps) if "failure()" in when(step))
    assert all(step in canary + first for step in steps[found + 1 : reports])
