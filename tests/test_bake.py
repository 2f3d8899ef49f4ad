"""What a bake produces: the exact file set, fully rendered, lint-clean, parseable."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import PYTHON_VERSIONS, TEMPLATE, bake

PACKAGE_FILES = [
    "__init__.py",
    "api_keys.py",
    "batch/__init__.py",
    "batch/__main__.py",
    "batch/arguments.py",
    "batch/columns.py",
    "batch/scoring.py",
    "batch/shards.py",
    "batch/tables.py",
    "cpu_budget.py",
    "features.py",
    "http_limits.py",
    "json_logging.py",
    "middleware/__init__.py",
    "middleware/api_key.py",
    "middleware/bounded_metrics.py",
    "middleware/concurrency_limit.py",
    "middleware/direct_api.py",
    "middleware/openapi.py",
    "middleware/request_context.py",
    "middleware/request_limits.py",
    "middleware/responses.py",
    "middleware/security_headers.py",
    "model/__init__.py",
    "model/dataset.py",
    "model/model.toml",
    "model/pipeline.py",
    "model/record.py",
    "model_card.py",
    "model_store.py",
    *(
        f"monitoring/{name}.py"
        for name in (
            "__init__",
            "drift",
            "drift_job",
            "drift_metrics",
            "drift_report",
            "label_log",
            "model_metrics",
            "prediction_log",
            "reference_profile",
            "retention",
            "statistics",
            "loadtest_records",
            "prediction_window",
            "quality",
            "watch",
        )
    ),
    "onnx_model.py",
    "openapi_document.py",
    "record_base.py",
    "schemas.py",
    "service.py",
    "service_secrets.py",
    "service_secrets.toml",
    "settings.py",
    "shutdown.py",
    "tracing.py",
    "training.py",
    "training_data.py",
    "worker_health.py",
]
TEST_FILES = [
    "__init__.py",
    "conftest.py",
    "server_settings.py",
    "faulty_service.py",
    "locust_run.py",
    "records.py",
    "bench/__init__.py",
    "bench/test_harness.py",
    "loadtests/__init__.py",
    "loadtests/test_gate.py",
    "loadtests/test_request_mix.py",
    "loadtests/test_service_level.py",
    "loadtests/harness/__init__.py",
    "loadtests/harness/test_process_memory.py",
    "loadtests/harness/test_recorded_run.py",
    "loadtests/harness/test_soak_minutes.py",
    "loadtests/harness/test_rollover_run.py",
    "loadtests/harness/test_rollover_phases.py",
    "loadtests/harness/test_round_robin_proxy.py",
    "loadtests/harness/test_soak_run.py",
    "service/__init__.py",
    "service/batch/__init__.py",
    "service/batch/test_batch_run.py",
    "service/batch/test_columns.py",
    "service/batch/test_shards.py",
    "service/middleware/__init__.py",
    "service/middleware/test_api_key.py",
    "service/middleware/test_direct_api.py",
    "service/middleware/test_openapi.py",
    "service/middleware/test_request_limits.py",
    "service/monitoring/__init__.py",
    "service/monitoring/test_dashboard.py",
    "service/monitoring/test_drift.py",
    "service/monitoring/test_drift_job.py",
    "service/monitoring/test_ground_truth.py",
    "service/monitoring/test_prediction_log.py",
    "service/monitoring/test_retention.py",
    "service/monitoring/test_statistics.py",
    "service/monitoring/test_watched_server.py",
    "service/test_api_contract.py",
    "service/test_http_api.py",
    "service/test_json_logging.py",
    "service/test_model_card.py",
    "service/test_overload.py",
    "service/test_openapi_document.py",
    "service/test_readiness.py",
    "service/test_schemas.py",
    "service/test_service_secrets.py",
    "service/test_settings.py",
    "service/test_api_keys.py",
    "service/test_key_revocation.py",
    "service/test_http_limits.py",
    "service/test_bounded_metrics.py",
    "service/test_cpu_budget.py",
    "service/test_tracing.py",
    "service/test_tuning.py",
    "service/test_security_headers.py",
    "service/test_shutdown.py",
    "service/test_training.py",
    *(
        f"delivery/{name}.py"
        for name in (
            "__init__",
            "test_bento",
            "test_cluster_error",
            "test_committed_files",
            "test_github_variables",
            "test_pipeline",
            "test_provenance",
            "test_release_scripts",
            "test_rollout_report",
            "test_scan_gate",
            "test_scripts",
            "test_workflow_hygiene",
            "test_workflow_rules",
            "workflow_rules",
            "workflows",
        )
    ),
    *(
        f"infra/{name}.py"
        for name in (
            "__init__",
            "conftest",
            "crd_schemas",
            "fake_aws",
            "network_reachability",
            "test_alb_routes",
            "test_api_keys_tool",
            "test_alert_rules",
            "test_canary_analysis",
            "test_canary_analysis_rehearsal",
            "test_capacity",
            "test_ci_runner",
            "test_cluster",
            "test_controller_policies",
            "test_delivery_contract",
            "test_deployer_admission",
            "test_drift_cron_job",
            "test_first_release",
            "test_github_deploy",
            "test_helm_releases",
            "test_iam_policies",
            "test_image_signing",
            "test_batch_scoring",
            "test_karpenter",
            "test_kubernetes_objects",
            "test_layers",
            "test_log_shipping",
            "test_network",
            "test_network_policies",
            "test_ordering",
            "test_policy_lint",
            "test_prediction_storage",
            "test_registry",
            "test_release_record",
            "test_secret_values_tool",
            "test_secrets",
            "test_service_workload",
            "test_trace_collector",
            "scraping",
            "test_stack_config",
            "upstream_policies",
        )
    ),
]
INFRA_FILES = [
    "Pulumi.yaml",
    *(
        f"Pulumi.{stack}.yaml"
        for stack in ("bootstrap", "dev", "dev-cluster", "prod", "prod-cluster")
    ),
    "__main__.py",
    "api_keys.py",
    "bootstrap.sh",
    "plan.py",
    "secret_values.py",
    "secrets_manager.py",
    *(f"layers/{name}.py" for name in ("__init__", "aws", "bootstrap", "cluster")),
    *(
        f"cloud/{name}.py"
        for name in (
            "__init__",
            "account_bootstrap",
            "account_tracing",
            "alert_rules",
            "app_namespace",
            "argo_rollouts",
            "batch_scoring",
            "buckets",
            "canary_analysis",
            "capacity",
            "ci_roles",
            "ci_runner",
            "cluster",
            "cluster_connection",
            "dashboard",
            "deployer_admission",
            "distributed_load_test",
            "drift_cron_job",
            "encryption",
            "github_deploy",
            "github_oidc",
            "helm_charts",
            "iam",
            "image_signing",
            "karpenter",
            "load_balancer_controller",
            "load_test_pods",
            "log_shipping",
            "prometheus_stack",
            "naming",
            "network",
            "network_policies",
            "pod_identity",
            "pod_security",
            "prediction_storage",
            "registry",
            "release_record",
            "secrets",
            "service_pod",
            "service_workload",
            "stack_config",
            "state_backend",
            "trace_collector",
            "trace_endpoint",
        )
    ),
]
LOADTEST_FILES = [
    "slo.toml",
    "service_level.py",
    "request_mix.py",
    "locustfile.py",
    "shapes/smoke.py",
    "shapes/canary_gate.py",
    "shapes/canary_analysis.py",
    "shapes/soak.py",
    "shapes/stress.py",
    "request_recorder.py",
    "harness/__init__.py",
    "harness/local_service.py",
    "harness/locust_process.py",
    "harness/otlp_receiver.py",
    "harness/process_memory.py",
    "harness/recorded_run.py",
    "harness/soak_minutes.py",
    "harness/rollover_run.py",
    "harness/rollover_phases.py",
    "harness/round_robin_proxy.py",
    "harness/soak_run.py",
]
WORKFLOWS = ["build.yml", "ci.yml", "deliver.yml", "deploy.yml", "infra.yml", "rollback.yml"]
DELIVERY_FILES = [
    ".github/delivery.env",
    *(f".github/workflows/{name}" for name in WORKFLOWS),
    "delivery/cluster_error.py",
    "delivery/collect-rollout-evidence.sh",
    "delivery/first-release-gate.sh",
    "delivery/first_release_run.py",
    "delivery/github_variables.py",
    "delivery/install-release-binary.sh",
    "delivery/promote-image.sh",
    "delivery/provenance.py",
    "delivery/record-release.sh",
    "delivery/require-environment.sh",
    "delivery/require-variables.sh",
    "delivery/rollout_report.py",
    "delivery/scan_gate.py",
    "delivery/sign-image.sh",
    "delivery/verify-image.sh",
]
BENCH_FILES = [
    "__init__.py",
    "__main__.py",
    "baseline_app.py",
    "batch.py",
    "ceiling_app.py",
    "load.py",
    "machine.py",
    "model_files.py",
    "post.lua",
    "report.py",
    "servers.py",
    "setup.py",
]
TOP_LEVEL_FILES = [
    ".env.example",
    ".gitignore",
    ".python-version",
    "Makefile",
    "README.md",
    *(
        f"docs/{name}.md"
        for name in (
            "api",
            "api-keys",
            "batch",
            "decisions",
            "delivery",
            "infrastructure",
            "layout",
            "load-tests",
            "logs-and-traces",
            "monitoring",
            "prediction-log",
            "secrets",
            "speed",
            "your-model",
        )
    ),
    "pyproject.toml",
    "uv.lock",
]

UNRENDERED = re.compile(r"\{\{\s*cookiecutter\.|\{%|cookiecutter\.(?!json)")

# Names a team might really type: spaces, capitals, digits, hyphens, non-ASCII letters.
# The last one gives the longest slug allowed (40 characters), which lengthens every import.
UNUSUAL_NAMES = [
    "Iris Classifier",
    "Fraud-Scoring API 2",
    "Détection Ünïque des Fleurs",
    "ÆØÅ Model",
    "Quarterly Revenue Forecasting Model Prod",
    # Sorts after the project's other modules: imports must not depend on the name.
    "Tumour Screening",
]


def expected_files(package: str) -> set[str]:
    return {
        *TOP_LEVEL_FILES,
        *DELIVERY_FILES,
        *(f"service/{package}/{name}" for name in PACKAGE_FILES),
        *(f"tests/{name}" for name in TEST_FILES),
        *(f"infra/{name}" for name in INFRA_FILES),
        *(f"loadtests/{name}" for name in LOADTEST_FILES),
        *(f"bench/{name}" for name in BENCH_FILES),
    }


def project_files(project: Path) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file())


def test_default_bake_has_exactly_the_expected_files(default_project: Path) -> None:
    found = {str(path.relative_to(default_project)) for path in project_files(default_project)}
    assert found == expected_files("iris_classifier")


def test_default_bake_leaves_no_template_syntax(default_project: Path) -> None:
    for path in project_files(default_project):
        assert not UNRENDERED.search(path.read_text()), f"unrendered template syntax in {path}"


# Words only the example model uses: its features, its classes, its data set.
EXAMPLE_MODEL_WORDS = re.compile(r"sepal|petal|setosa|versicolor|virginica|load_iris")


def test_only_the_model_folder_names_the_example_model(default_project: Path) -> None:
    """A team replaces service/<package>/model/ and nothing else (docs/your-model.md):
    no code, test or setting outside it may know the example's features or classes.
    Documents may, as the example they describe."""
    model = default_project / "service" / "iris_classifier" / "model"
    naming = [
        str(path.relative_to(default_project))
        for path in project_files(default_project)
        if not path.is_relative_to(model)
        and path.suffix != ".md"
        and EXAMPLE_MODEL_WORDS.search(path.read_text(errors="replace"))
    ]
    assert naming == []


def test_answers_reach_the_configuration(cookies) -> None:
    project = bake(cookies, project_name="Fraud-Scoring API 2", python_version="3.12")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    lock = tomllib.loads((project / "uv.lock").read_text())

    assert project.name == "fraud-scoring-api-2"
    assert pyproject["project"]["name"] == "fraud-scoring-api-2"
    assert pyproject["tool"]["uv"]["build-backend"]["module-name"] == "fraud_scoring_api_2"
    assert (project / "service" / "fraud_scoring_api_2" / "service.py").is_file()
    assert (project / ".python-version").read_text().strip() == "3.12"
    assert {"name": "fraud-scoring-api-2", "source": {"editable": "."}}.items() <= next(
        package for package in lock["package"] if package.get("source") == {"editable": "."}
    ).items()


def test_shipped_lock_file_matches_the_dependencies(cookies) -> None:
    # `make lock` refreshes it; this fails when a pin changes without it.
    project = bake(cookies, project_name="Détection Ünïque des Fleurs")
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    environment = {name: value for name, value in os.environ.items() if name != "VIRTUAL_ENV"}
    result = subprocess.run(
        [uv, "lock", "--check"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"uv.lock is stale; run `make lock`:\n{result.stderr}"


def test_serving_dependencies_exclude_training_and_test_tools(default_project: Path) -> None:
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text())
    serving = " ".join(pyproject["project"]["dependencies"])
    for tool in ("scikit-learn", "skl2onnx", "pytest", "ruff", "pulumi", "locust", "fastapi"):
        assert tool not in serving


def test_serving_dependencies_include_the_fast_http_stack(default_project: Path) -> None:
    # Without them uvicorn silently falls back to h11 and asyncio (the project's docs/decisions.md).
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text())
    serving = {pin.split("==")[0] for pin in pyproject["project"]["dependencies"]}
    assert {"httptools", "uvloop"} <= serving


def test_environment_is_installed_with_compiled_bytecode(default_project: Path) -> None:
    # A server that may not write bytecode caches would compile BentoML at every start.
    pyproject = tomllib.loads((default_project / "pyproject.toml").read_text())
    assert pyproject["tool"]["uv"]["compile-bytecode"] is True


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS)
@pytest.mark.parametrize("project_name", UNUSUAL_NAMES)
def test_every_variant_compiles_lints_and_parses(
    cookies, project_name: str, python_version: str
) -> None:
    project = bake(cookies, project_name=project_name, python_version=python_version)

    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    for command in (
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
    ):
        result = subprocess.run(command, cwd=project, capture_output=True, text=True)
        assert result.returncode == 0, (
            f"{' '.join(command)} in {project}:\n{result.stdout}{result.stderr}"
        )
    for path in project.rglob("*.toml"):
        tomllib.loads(path.read_text())
    for path in [*project.rglob("*.yaml"), *project.rglob("*.yml")]:
        yaml.safe_load(path.read_text())
    assert not any(UNRENDERED.search(path.read_text()) for path in project_files(project))


@pytest.mark.parametrize(
    ("region", "dev_zones", "prod_zones"),
    [
        ("eu-central-1", ["a", "b"], ["a", "b", "c"]),
        ("ap-northeast-1", ["a", "c"], ["a", "c", "d"]),
        ("us-west-1", ["b", "c"], ["b", "c"]),
    ],
)
def test_stack_files_carry_the_answers(
    cookies, region: str, dev_zones: list[str], prod_zones: list[str]
) -> None:
    project = bake(
        cookies,
        project_name="Fraud Scoring",
        aws_region=region,
        aws_account_id="123456789012",
        github_owner="Acme-Corp",
        github_repository="fraud.scoring",
    )
    infra = project / "infra"
    assert yaml.safe_load((infra / "Pulumi.yaml").read_text())["name"] == "fraud-scoring"

    def stack_config(stack: str) -> dict:
        return yaml.safe_load((infra / f"Pulumi.{stack}.yaml").read_text())["config"]

    bootstrap = stack_config("bootstrap")
    assert bootstrap["aws:region"] == region
    assert bootstrap["fraud-scoring:accountId"] == "123456789012"
    assert bootstrap["fraud-scoring:githubOwner"] == "Acme-Corp"
    assert bootstrap["fraud-scoring:githubRepository"] == "fraud.scoring"
    for stack, letters in (("dev", dev_zones), ("prod", prod_zones)):
        config = stack_config(stack)
        assert config["aws:region"] == region
        assert config["fraud-scoring:environment"] == stack
        assert config["fraud-scoring:accountId"] == "123456789012"
        assert config["fraud-scoring:availabilityZones"] == [region + letter for letter in letters]
        cluster = stack_config(f"{stack}-cluster")
        assert cluster["aws:region"] == region
        assert cluster["fraud-scoring:environment"] == stack


def test_workflows_are_copied_verbatim_and_answers_reach_them_through_one_file(cookies) -> None:
    project = bake(cookies, project_name="Fraud-Scoring API 2", aws_region="eu-west-1")
    template = TEMPLATE / "{{cookiecutter.project_slug}}" / ".github" / "workflows"
    settings = dict(
        line.split("=", 1)
        for line in (project / ".github" / "delivery.env").read_text().splitlines()
        if line and not line.startswith("#")
    )

    for name in WORKFLOWS:
        baked = (project / ".github" / "workflows" / name).read_text()
        assert baked == (template / name).read_text(), name
    assert settings["AWS_REGION"] == "eu-west-1"
    assert settings["ROLLOUT_NAME"] == "fraud-scoring-api-2"
    assert (
        settings["UV_VERSION"]
        == json.loads((TEMPLATE / "cookiecutter.json").read_text())["_uv_version"]
    )


def test_delivery_scripts_stay_executable(default_project: Path) -> None:
    for script in (default_project / "delivery").glob("*.sh"):
        assert os.access(script, os.X_OK), script


def test_the_demo_reads_the_key_the_projects_makefile_writes(default_project: Path) -> None:
    # `make demo` calls the API with the key a fresh project's `make .env` writes.
    subprocess.run(["make", "-C", str(default_project), ".env"], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("demo", TEMPLATE / "scripts" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    keys = json.loads((default_project / ".api-keys.json").read_text())
    assert demo.read_api_key(default_project) == keys["developer"]


def test_a_newly_declared_secret_reaches_an_existing_env_file(cookies) -> None:
    """docs/secrets.md, step 3: declaring a secret is one table; `make .env` then adds its
    variable to the developer's .env and keeps the key already there."""
    project = bake(cookies)
    subprocess.run(["make", "-C", str(project), ".env"], check=True, capture_output=True)
    first = (project / ".env").read_text()
    declarations = project / "service" / "iris_classifier" / "service_secrets.toml"
    declarations.write_text(
        declarations.read_text() + '\n[feature_store_token]\ndescription = "A token"\n'
    )

    subprocess.run(["make", "-C", str(project), ".env"], check=True, capture_output=True)

    env = (project / ".env").read_text()
    assert env.startswith(first)
    assert re.search(r"^SERVICE_FEATURE_STORE_TOKEN=dev-\S{20,}$", env, re.MULTILINE)
