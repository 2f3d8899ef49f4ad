"""What the workflows do, and in which order: checks on pull requests, then on every push
to main a canary in staging followed by one in production, each behind the SLO gate."""

from tests.delivery.workflows import delivery_settings, runs, workflow

ENVIRONMENTS = ["staging", "production"]


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
    job = workflow("deliver")["jobs"]["deliver"]

    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert job["concurrency"] == {
        "group": "deliver-${{ inputs.environment }}",
        "cancel-in-progress": False,
    }


def test_a_manual_rollback_waits_in_the_same_queue_as_delivery() -> None:
    rollback = workflow("rollback")
    job = rollback["jobs"]["rollback"]
    choice = rollback["on"]["workflow_dispatch"]["inputs"]["environment"]

    assert choice["options"] == ENVIRONMENTS
    assert job["concurrency"] == workflow("deliver")["jobs"]["deliver"]["concurrency"]
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


def test_delivery_deploys_the_pushed_digest_and_fails_with_the_canary() -> None:
    job = workflow("deliver")["jobs"]["deliver"]
    scripts = runs(job)
    image = next(step for step in job["steps"] if step.get("id") == "image")
    scan = next(index for index, script in enumerate(scripts) if "scan_gate.py" in script)
    set_image = next(
        index for index, script in enumerate(scripts) if "rollouts set image" in script
    )
    status = next(index for index, script in enumerate(scripts) if "rollouts status" in script)

    assert image["with"]["tags"].endswith(":${{ github.sha }}")
    assert scan < set_image < status
    assert '@${DIGEST}"' in scripts[set_image]
    assert "--timeout" in scripts[status]


def test_the_image_cache_lives_in_ecr_in_the_form_ecr_accepts() -> None:
    image = next(
        step
        for step in workflow("deliver")["jobs"]["deliver"]["steps"]
        if step.get("id") == "image"
    )
    assert "image-manifest=true,oci-mediatypes=true" in image["with"]["cache-to"]
    assert image["with"]["cache-from"].endswith(":buildcache")


def test_a_failed_rollout_leaves_its_analysis_and_gate_logs_behind() -> None:
    steps = workflow("deliver")["jobs"]["deliver"]["steps"]
    on_failure = [step for step in steps if "failure()" in str(step.get("if", ""))]

    assert any("collect-rollout-evidence.sh" in step.get("run", "") for step in on_failure)
    assert any(step.get("uses", "").startswith("actions/upload-artifact@") for step in on_failure)


def test_no_aws_key_is_read_from_secrets_anywhere() -> None:
    for name in ("ci", "deploy", "deliver", "rollback", "infra"):
        text = str(workflow(name))
        assert "secrets." not in text, name
        assert "aws-access-key-id" not in text, name


def test_infra_previews_pull_requests_and_applies_main_dev_before_prod() -> None:
    infra = workflow("infra")
    preview, up = infra["jobs"]["preview"], infra["jobs"]["up"]
    pulumi_step = next(step for step in up["steps"] if step.get("uses", "").startswith("pulumi/"))

    assert all("infra/**" in trigger["paths"] for trigger in infra["on"].values())
    assert infra["on"]["push"]["branches"] == ["main"]
    assert "pull_request" in preview["if"] and "push" in up["if"]
    assert [entry["stack"] for entry in up["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    assert up["strategy"]["max-parallel"] == 1 and up["strategy"]["fail-fast"] is True
    assert up["environment"] == "${{ matrix.environment }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    assert pulumi_step["with"]["command"] == "up"


def test_workflows_read_bake_time_values_from_the_one_rendered_file() -> None:
    settings = delivery_settings()

    assert set(settings) >= {"AWS_REGION", "ROLLOUT_NAME", "UV_VERSION", "ARGO_ROLLOUTS_VERSION"}
    assert all(value and "{{" not in value for value in settings.values())


def test_the_image_is_signed_and_its_signature_checked_before_it_is_deployed() -> None:
    job = workflow("deliver")["jobs"]["deliver"]
    order = [step.get("uses", "").split("@")[0] or step.get("run", "") for step in job["steps"]]

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
    assert job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "attestations": "write",
    }


def test_only_delivery_may_write_attestations() -> None:
    for name in ("ci", "rollback", "infra"):
        for job in workflow(name)["jobs"].values():
            assert "attestations" not in job.get("permissions", {}), name


def test_the_drift_job_follows_the_image_only_once_it_is_promoted() -> None:
    for name, job in (("deliver", "deliver"), ("rollback", "rollback")):
        scripts = runs(workflow(name)["jobs"][job])
        status = next(i for i, script in enumerate(scripts) if "rollouts status" in script)
        drift = next(i for i, script in enumerate(scripts) if "cronjob/" in script)
        assert status < drift, name
