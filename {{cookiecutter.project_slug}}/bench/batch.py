"""`make bench-batch`: batch scoring's speed per core against the scikit-learn pipeline on
the same rows, and its peak memory for an input and one ten times larger.

    uv run python -m bench.batch [--rows 1000000] [--output build/bench]

Scored on one thread, so rows/s is per core. The job is timed end to end (read Parquet,
validate, score, write Parquet and rejects); the pipeline only for `predict_proba`, on
the same rows in the same batches, already in memory: every advantage is scikit-learn's.
It also shows what one call per row costs, as a script scoring records one by one pays.
Peak memory is the resident high-water mark of `python -m <package>.batch` itself. Not
a test: it prints the goals and whether they were met, and exits 0 either way.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
GOAL_RATIO = 20.0
GOAL_MEMORY_GROWTH = 0.10
PER_ROW_SAMPLE = 2_000


def write_input(path: Path, rows: int, held_out: np.ndarray) -> None:
    """`rows` rows drawn from the held-out set (its float32 array, features.py), floats a
    little jittered, each feature typed as a file holds it, in row groups of 128Ki."""
    from {{ cookiecutter.package_name }}.features import FEATURES, to_columns

    rng = np.random.default_rng(7)
    floats = [feature.name for feature in FEATURES if feature.kind == "number"]
    with pq.ParquetWriter(path, pa.table(to_columns(held_out[:1])).schema) as writer:
        for start in range(0, rows, 131_072):
            picked = held_out[rng.integers(0, len(held_out), min(131_072, rows - start))]
            columns = to_columns(picked)
            for name in floats:
                columns[name] = columns[name] * rng.uniform(0.98, 1.02, len(picked))
            writer.write_table(pa.table(columns))


def peak_memory_of_a_run(source: Path, output: Path, environment: dict[str, str]) -> dict:
    """Run the batch command; its own peak resident memory (from the kernel, at exit)."""
    command = [sys.executable, "-m", f"{PACKAGE}.batch", str(source), str(output)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [*command, "--threads", "1"], env=environment, stdout=subprocess.PIPE, text=True
    )
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
    summary = json.loads(stdout.strip().splitlines()[-1])
    return {**summary, "peak_memory_mib": usage.ru_maxrss / 1024}


def verdict(met: bool) -> str:
    return "met" if met else "not met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.batch", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / "build" / "bench")
    options = parser.parse_args(argv)
    options.output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        directory = Path(scratch)
        # A private model store, set before bentoml is imported.
        os.environ["BENTOML_HOME"] = str(directory / "bentoml")
        os.environ["BENTOML_DO_NOT_TRACK"] = "true"
        import joblib

        from {{ cookiecutter.package_name }}.batch.arguments import BATCH_ROWS
        from {{ cookiecutter.package_name }}.batch.columns import check
        from {{ cookiecutter.package_name }}.batch.scoring import Scorer, score_file
        from {{ cookiecutter.package_name }}.batch.tables import InputTable
        from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, model_columns
        from {{ cookiecutter.package_name }}.model.dataset import load_dataset
        from {{ cookiecutter.package_name }}.model_store import MODEL_NAME

        from bench.model_files import prepare

        files = prepare(directory)
        pipeline = joblib.load(files.sklearn_path)
        small, large = directory / "1x.parquet", directory / "10x.parquet"
        held_out = load_dataset().features_test
        write_input(small, options.rows, held_out)
        write_input(large, options.rows * 10, held_out)

        arguments = argparse.Namespace(
            model_tag=f"{MODEL_NAME}:latest", model_store=None, threads=1, id_column=None
        )
        scorer = Scorer.load(arguments)
        source = InputTable.open(str(small), BATCH_ROWS, None)
        job = score_file(scorer, source, str(directory / "out.parquet"), str(directory / "r.jsonl"))

        batches = [
            model_columns(check(batch, from_text=False).features)
            for batch in InputTable.open(str(small), BATCH_ROWS, None).batches
        ]
        started = time.perf_counter()
        for batch in batches:
            pipeline.predict_proba(batch)
        vectorised_seconds = time.perf_counter() - started
        sample = batches[0][:PER_ROW_SAMPLE]
        started = time.perf_counter()
        for row in sample:
            pipeline.predict_proba(row.reshape(1, -1))
        per_row_rate = len(sample) / (time.perf_counter() - started)

        environment = {**os.environ, "OMP_NUM_THREADS": "1"}
        memory = [
            peak_memory_of_a_run(
                source_file, directory / f"{source_file.stem}-out.parquet", environment
            )
            for source_file in (small, large)
        ]

    vectorised_rate = options.rows / vectorised_seconds
    growth = memory[1]["peak_memory_mib"] / memory[0]["peak_memory_mib"] - 1
    batched_ratio = job.rows_per_second / vectorised_rate
    per_row_ratio = job.rows_per_second / per_row_rate
    rows = [
        ("batch job, end to end, 1 thread", f"{job.rows_per_second:,.0f}", "1.0x"),
        (
            "scikit-learn predict_proba, same batches",
            f"{vectorised_rate:,.0f}",
            f"{batched_ratio:.1f}x",
        ),
        (
            "scikit-learn predict_proba, one row a call",
            f"{per_row_rate:,.0f}",
            f"{per_row_ratio:.0f}x",
        ),
    ]
    lines = [
        f"Batch scoring, {options.rows:,} rows of {len(FEATURE_NAMES)} features, per core",
        "",
        "| scorer | rows/s | job's ratio to it |",
        "|---|---:|---:|",
        *(f"| {name} | {rate} | {ratio} |" for name, rate, ratio in rows),
        "",
        "| input | rows | peak memory (MiB) | rows/s |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {run['rows_read']:,} | {run['peak_memory_mib']:.0f} "
            f"| {run['rows_per_second']:,} |"
            for label, run in zip(("1x", "10x"), memory, strict=True)
        ),
        "",
        f"Goal: {GOAL_RATIO:.0f}x scikit-learn's rows/s: {verdict(batched_ratio >= GOAL_RATIO)} "
        f"against its batched calls, {verdict(per_row_ratio >= GOAL_RATIO)} per row.",
        f"Goal: peak memory for 10x within {GOAL_MEMORY_GROWTH:.0%} of 1x: "
        f"{verdict(growth <= GOAL_MEMORY_GROWTH)} ({growth:+.1%}).",
    ]
    report = "\n".join(lines)
    print(report)
    (options.output / "batch.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
