"""What every benchmarked server gets: the same model, the same bodies, the same CPUs."""

import json
import os
from pathlib import Path

from bench.report import BASELINE, BATCH, CEILING, NO_ACCESS_LOG, SERVICE, SINGLE, traced
from bench.servers import ServerSpec

SERVICE_TARGET = "{{ cookiecutter.package_name }}.service:Classifier"
CONNECTIONS = 32
BATCH_SIZE = 100


def prepare_model(scratch: Path) -> "ModelFiles":  # noqa: F821
    # bentoml reads BENTOML_HOME once, at import: set it before model_files imports bentoml.
    os.environ["BENTOML_HOME"] = str(scratch / "bentoml")
    from bench.model_files import prepare

    return prepare(scratch)


def write_bodies(directory: Path) -> dict[str, tuple[Path, int]]:
    """The request bodies every server gets: held-out rows of the training data."""
    from {{ cookiecutter.package_name }}.features import as_values
    from {{ cookiecutter.package_name }}.model.dataset import load_dataset

    rows = load_dataset().features_test.tolist()
    records = [as_values(rows[index % len(rows)]) for index in range(BATCH_SIZE)]
    bodies = {}
    for scenario, count in ((SINGLE, 1), (BATCH, BATCH_SIZE)):
        path = directory / f"{scenario}.json"
        path.write_text(json.dumps({"records": records[:count]}))
        bodies[scenario] = (path, count)
    return bodies


def server_specs(
    files: "ModelFiles",  # noqa: F821
    api_key: str,
    traces_url: str,
) -> list[ServerSpec]:
    """Baseline, service and ceiling; then the service without its access log, and with
    tracing on (to `traces_url`) for every request and for the default ratio."""
    from {{ cookiecutter.package_name }}.settings import (
        DEFAULT_TRACE_SAMPLE_RATIO,
        ServiceSettings,
    )

    keys_file = files.bentoml_home.parent / "api-keys.json"
    keys_file.write_text(json.dumps({"bench": api_key}))

    # The ceiling gets as many processes as the service starts for this machine's CPUs,
    # so the two are compared on the same CPU budget.
    workers = str(ServiceSettings.from_environment().workers)
    loopback = ("--host", "127.0.0.1", "--port", "{port}")
    ceiling_options = ("--no-access-log", "--workers", workers)
    class_names = {"BENCH_CLASS_NAMES": str(files.class_names_path)}
    service = ("-m", "bentoml", "serve", SERVICE_TARGET, *loopback)
    service_environment = {
        "BENTOML_HOME": str(files.bentoml_home),
        "SERVICE_API_KEYS_FILE": str(keys_file),
    }
    tracing = {"SERVICE_TRACE_ENDPOINT": traces_url}
    return [
        ServerSpec(
            BASELINE,
            "FastAPI, 1 uvicorn worker, joblib + scikit-learn predict in async def, no auth",
            ("-m", "uvicorn", "bench.baseline_app:app", *loopback, "--workers", "1"),
            {"BENCH_SKLEARN_MODEL": str(files.sklearn_path), **class_names},
        ),
        ServerSpec(
            SERVICE,
            "the generated BentoML service as it ships: auth, validation, metrics, access log",
            service,
            service_environment,
        ),
        ServerSpec(
            CEILING,
            f"bare ASGI around an ONNX Runtime session, {workers} uvicorn worker(s), nothing else",
            ("-m", "uvicorn", "bench.ceiling_app:app", *loopback, *ceiling_options),
            {"BENCH_ONNX_MODEL": str(files.onnx_path), **class_names},
        ),
        ServerSpec(
            NO_ACCESS_LOG,
            "the service with SERVICE_LOG_LEVEL=WARNING: no line per request",
            service,
            {**service_environment, "SERVICE_LOG_LEVEL": "WARNING"},
        ),
        ServerSpec(
            traced(1),
            "the service sending every request's spans over OTLP/HTTP to a local receiver",
            service,
            {**service_environment, **tracing, "SERVICE_TRACE_SAMPLE_RATIO": "1"},
        ),
        ServerSpec(
            traced(DEFAULT_TRACE_SAMPLE_RATIO),
            "the same at the default sample ratio (SERVICE_TRACE_SAMPLE_RATIO unset)",
            service,
            {**service_environment, **tracing},
        ),
    ]
