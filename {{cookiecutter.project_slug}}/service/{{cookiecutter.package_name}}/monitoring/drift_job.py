"""The drift job: compare a window of logged traffic with the served model's reference
profile; write an HTML report, a JSON summary and Prometheus metrics.

    make drift-report        (locally: the log of `make dev`, the last WINDOW_HOURS)
    python -m <package>.monitoring.drift_job --log-dir DIR --output DIR
        [--model-store DIR] [--pushgateway URL --namespace NAMESPACE]

In the cluster it runs hourly as a CronJob from the service's image (which holds the
model and its reference profile, in the bento's model store), reads the pods' logs from
the shared volume and pushes its metrics to the Prometheus Pushgateway (infra/cloud/
drift_cron_job.py). The exit code is 0 whatever the verdict: alerts act on drift, a failed
job means the job itself broke.
"""

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..features import FEATURE_NAMES
from ..model_card import MODEL_CARD
from ..model_store import get_model, reference_profile_path
from ..settings import ServiceSettings
from .drift import MIN_ROWS, DriftResult, Traffic, compare
from .drift_metrics import push_metrics, write_metrics
from .drift_report import render
from .prediction_window import read_window
from .quality import QualityResult, measure
from .retention import Retention, enforce

MAX_ROWS = 100_000


def describe(result: DriftResult, versions: frozenset[str]) -> str:
    lines = [f"Drift verdict: {result.verdict.upper()}"]
    lines.append(
        f"rows compared: {result.rows_compared} (minimum {result.min_rows}), "
        f"reference rows: {result.reference_rows}, served versions: {sorted(versions) or '-'}"
    )
    if result.verdict == "not enough data":
        lines.append("Too few logged predictions in the window to judge drift; no verdict.")
        return "\n".join(lines)
    lines.append(f"share of drifted features: {result.drift_share:.2f}")
    lines.append(f"{'column':<20} {'method':<22} {'score':>10} {'threshold':>10}  drifted")
    for column in [*result.features, *result.predictions]:
        lines.append(
            f"{column.column:<20} {column.method:<22} {column.score:>10.4g} "
            f"{column.threshold:>10.4g}  {'YES' if column.drifted else 'no'}"
        )
    if result.drifted_features:
        lines.append("Drifted features: " + ", ".join(result.drifted_features))
    return "\n".join(lines)


def describe_quality(quality: QualityResult) -> str:
    line = (
        f"Accuracy on true labels: {quality.labelled_rows} labelled predictions "
        f"(minimum {quality.min_rows}), {quality.unmatched_labels} labels without one"
    )
    if not quality.enough or quality.accuracy is None:
        return line + "; no verdict."
    verdict = "BELOW" if quality.below_floor else "at or above"
    return line + f"; accuracy {quality.accuracy:.4f}, {verdict} the floor {quality.floor:.4f}."


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", type=Path, required=True, help="the prediction log")
    parser.add_argument("--output", type=Path, required=True, help="where to write the results")
    parser.add_argument("--window-hours", type=float, default=24.0)
    parser.add_argument("--min-rows", type=int, default=MIN_ROWS)
    parser.add_argument(
        "--quality-window-hours",
        type=positive,
        default=168.0,
        help="true labels (POST /feedback) received in this window, joined with the "
        "predictions logged in it, measure accuracy",
    )
    parser.add_argument(
        "--min-labelled-rows",
        type=int,
        default=MODEL_CARD.quality.min_labelled_rows,
        help="fewer joined labels give no accuracy verdict (model.toml's by default)",
    )
    parser.add_argument("--model-tag", default=ServiceSettings().model_tag)
    parser.add_argument(
        "--model-store",
        type=Path,
        help="read the model from this model store (default: BentoML's, under $BENTOML_HOME); "
        "in the service's image: the bento's, /home/bentoml/bento/models",
    )
    parser.add_argument("--pushgateway", help="push the metrics there, e.g. http://host:9091")
    parser.add_argument(
        "--namespace", help="the app's namespace: the label the pushed metrics carry"
    )
    parser.add_argument(
        "--retention-days",
        type=positive,
        help="first delete log files older than this, from every pod (docs/prediction-log.md)",
    )
    parser.add_argument(
        "--retention-gib",
        type=positive,
        help="and then the oldest until the whole log fits this many GiB",
    )
    arguments = parser.parse_args(argv)
    if arguments.pushgateway and not arguments.namespace:
        parser.error(
            "--pushgateway needs --namespace: the app's namespace, which the alert rules "
            "select on (the stack's `appNamespace` output)"
        )

    if (arguments.retention_days is None) != (arguments.retention_gib is None):
        parser.error("--retention-days and --retention-gib go together")
    if arguments.retention_days is not None:
        retention = Retention.of(arguments.retention_days, arguments.retention_gib)
        pruned = enforce(arguments.log_dir, retention)
        print(
            f"Retention: deleted {pruned.deleted_files} files ({pruned.deleted_bytes} bytes) "
            f"and {pruned.deleted_folders} empty pod folders; kept {pruned.kept_files} files "
            f"({pruned.kept_bytes} bytes)"
        )

    model = get_model(arguments.model_tag, arguments.model_store)
    profile = json.loads(reference_profile_path(model).read_text())
    reference = Traffic.of(
        profile["features"], profile["labels"], profile["confidence"], FEATURE_NAMES
    )
    since = datetime.now(UTC) - timedelta(hours=arguments.window_hours)
    window = read_window(arguments.log_dir, since, MAX_ROWS)
    current = Traffic.of(window.features, window.labels, window.confidence, FEATURE_NAMES)

    arguments.output.mkdir(parents=True, exist_ok=True)
    report = arguments.output / "report.html"
    report.unlink(missing_ok=True)
    result = compare(reference, current, FEATURE_NAMES, arguments.min_rows)
    if result.verdict != "not enough data":
        report.write_text(render(result, reference, current, FEATURE_NAMES, str(model.tag)))
    summary = {
        **result.as_dict(),
        "reference_model": str(model.tag),
        "served_versions": sorted(window.model_versions),
        "window_start": since.isoformat(timespec="seconds"),
        "unreadable_lines": window.unreadable_lines,
    }
    quality = measure(
        arguments.log_dir,
        datetime.now(UTC) - timedelta(hours=arguments.quality_window_hours),
        floor=model.info.metadata["metrics"]["accuracy"] - MODEL_CARD.quality.accuracy_margin,
        min_rows=arguments.min_labelled_rows,
    )
    summary["quality"] = quality.as_dict()
    (arguments.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_metrics(result, quality, str(model.tag), arguments.output / "metrics.prom")
    if arguments.pushgateway:
        push_metrics(result, quality, str(model.tag), arguments.pushgateway, arguments.namespace)
    print(describe(result, window.model_versions))
    print(describe_quality(quality))
    written = [name for name in ("report.html", "summary.json", "metrics.prom")]
    written = [
        str(arguments.output / name) for name in written if (arguments.output / name).exists()
    ]
    print("Wrote " + ", ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
