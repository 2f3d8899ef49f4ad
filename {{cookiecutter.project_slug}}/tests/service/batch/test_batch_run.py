"""`make batch` on real files: the stored model scores every row the API would accept,
as the API scores it, and every other row is a reject with the API's own reason."""

import json
import subprocess
import sys
from pathlib import Path

import bentoml
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES

from tests.records import EXAMPLE, LAST, held_out_records, out_of_bounds, within_the_limits

ROWS_REJECTED = 3
NOTHING_SCORED = 2


def run_batch(*arguments: object) -> subprocess.CompletedProcess[str]:
    module = "{{ cookiecutter.package_name }}.batch"
    command = [sys.executable, "-m", module, *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def summary_of(run: subprocess.CompletedProcess[str]) -> dict[str, float]:
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_every_row_is_scored_as_the_api_scores_it_or_rejected_with_its_reason(
    stored_model: bentoml.Model, client: httpx.Client, tmp_path: Path
) -> None:
    good = held_out_records()
    bad = [{**EXAMPLE, LAST: value} for value in out_of_bounds(LAST).values()]
    # The bad rows spread among the good ones, across several batches of 7 rows.
    rows = good[:10] + bad + good[10:]
    ids = [f"flower-{index}" for index in range(len(rows))]
    pq.write_table(
        pa.Table.from_pylist([{"id": i, **row} for i, row in zip(ids, rows, strict=True)]),
        tmp_path / "rows.parquet",
    )

    run = run_batch(
        tmp_path / "rows.parquet",
        tmp_path / "scored.parquet",
        "--id-column",
        "id",
        "--batch-rows",
        7,
    )

    assert run.returncode == ROWS_REJECTED, run.stderr
    summary = summary_of(run)
    assert (summary["rows_read"], summary["rows_scored"], summary["rows_rejected"]) == (
        len(rows),
        len(good),
        len(bad),
    )
    scored = pq.read_table(tmp_path / "scored.parquet").to_pylist()
    assert [row["id"] for row in scored] == ids[:10] + ids[10 + len(bad) :]
    answers = [
        client.post("/predict", json={"records": records}).json()
        for records in within_the_limits(good)
    ]
    predictions = [prediction for answer in answers for prediction in answer["predictions"]]
    for row, prediction in zip(scored, predictions, strict=True):
        assert row["label"] == prediction["label"]
        for name, probability in prediction["probabilities"].items():
            assert row[f"probability_{name}"] == pytest.approx(probability, rel=1e-6)
        assert row["model_version"] == str(stored_model.tag)
    assert {answer["model_version"] for answer in answers} == {str(stored_model.tag)}

    rejects = [json.loads(line) for line in (tmp_path / "scored.rejects.jsonl").open()]
    assert [reject["id"] for reject in rejects] == ids[10 : 10 + len(bad)]
    for reject, record in zip(rejects, bad, strict=True):
        assert reject["row"] == ids.index(reject["id"])
        refused = client.post("/predict", json={"records": [record]})
        assert refused.status_code == 400
        [problem] = refused.json()["detail"]
        assert reject["reason"] == f"{LAST}: {problem['msg']}"


def test_a_csv_file_is_streamed_and_its_bad_cells_and_lines_are_rejects(
    stored_model: bentoml.Model, tmp_path: Path
) -> None:
    good = held_out_records() * 100
    lines = [",".join(FEATURE_NAMES)]
    lines += [",".join(str(row[name]) for name in FEATURE_NAMES) for row in good]
    lines += [",".join("abc" if name == LAST else str(EXAMPLE[name]) for name in FEATURE_NAMES)]
    lines += [",".join("" if name == LAST else str(EXAMPLE[name]) for name in FEATURE_NAMES)]
    lines += ["5," * len(FEATURE_NAMES)]  # one cell too many: not a row at all
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n")

    run = run_batch(
        tmp_path / "rows.csv", tmp_path / "out" / "scored.parquet", "--batch-rows", 1000
    )

    assert run.returncode == ROWS_REJECTED, run.stderr
    assert summary_of(run)["rows_scored"] == len(good)
    assert pq.read_table(tmp_path / "out" / "scored.parquet")["row"].to_pylist() == list(
        range(len(good))
    )
    rejects = [json.loads(line) for line in (tmp_path / "out" / "scored.rejects.jsonl").open()]
    assert [(reject.get("row"), reject["reason"]) for reject in rejects] == [
        (len(good), f"{LAST}: Input should be a valid number"),
        (len(good) + 1, f"{LAST}: Input should be a valid number"),
        (None, f"{len(FEATURE_NAMES) + 1} cells where the header has {len(FEATURE_NAMES)}"),
    ]
    assert rejects[-1]["line"] == len(lines)


def test_clean_input_exits_0_and_missing_columns_score_nothing(
    stored_model: bentoml.Model, tmp_path: Path
) -> None:
    pq.write_table(pa.Table.from_pylist(held_out_records()), tmp_path / "rows.parquet")
    assert run_batch(tmp_path / "rows.parquet", tmp_path / "scored.parquet").returncode == 0
    assert (tmp_path / "scored.rejects.jsonl").read_text() == ""

    pq.write_table(
        pa.Table.from_pylist([{n: v for n, v in EXAMPLE.items() if n != LAST}]),
        tmp_path / "short.parquet",
    )
    run = run_batch(tmp_path / "short.parquet", tmp_path / "short-scored.parquet")
    assert run.returncode == NOTHING_SCORED
    assert f"no column {LAST}" in run.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "rows.parquet",
        "scored.parquet",
        "scored.rejects.jsonl",
        "short.parquet",
    ]
