"""The cluster's batch job against a real S3 API on loopback (moto's server): an input
prefix dealt out to the indexes of an Indexed Job, reruns that skip what is complete,
and a pod killed half-way whose shard is scored again without a duplicate row."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import bentoml
import boto3
import httpx
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from moto.server import ThreadedMotoServer

from {{ cookiecutter.package_name }}.features import to_columns
from {{ cookiecutter.package_name }}.model.dataset import load_dataset

BUCKET = "iris-classifier-dev-batch"
REGION = "us-east-1"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A fresh S3 API on loopback with a bucket in it; this process and the jobs it starts
    reach it through the environment, as the pods reach S3."""
    # Its every request logged would bury a failure's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    # moto keeps its state per process, not per server: start from nothing.
    httpx.post(f"{endpoint}/moto-api/reset").raise_for_status()
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def rows(count: int, seed: int) -> pa.Table:
    features = load_dataset().features_test
    picked = features[np.random.default_rng(seed).integers(0, len(features), count)]
    return pa.table(to_columns(picked))


def put(client, key: str, table: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    if key.endswith(".csv"):
        pyarrow.csv.write_csv(table, sink)
    else:
        pq.write_table(table, sink)
    client.put_object(Bucket=BUCKET, Key=key, Body=sink.getvalue().to_pybytes())


def keys(client, prefix: str) -> list[str]:
    found = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in found)


def read_output(client, key: str) -> pa.Table:
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return pq.read_table(pa.BufferReader(body))


def job_index(index: int, count: int, *more: object) -> subprocess.Popen:
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}.batch.shards"]
    command += ["--input", f"s3://{BUCKET}/input/", "--output", f"s3://{BUCKET}/output/"]
    command += ["--count", str(count), *map(str, more)]
    return subprocess.Popen(
        command,
        env={**os.environ, "JOB_COMPLETION_INDEX": str(index)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stdout


def test_the_indexes_share_the_files_and_a_rerun_scores_only_what_changed(
    stored_model: bentoml.Model, s3
) -> None:
    client = s3
    inputs = {
        "input/2026-12-01/a.parquet": rows(1_000, 1),
        "input/2026-12-01/b.csv": rows(700, 2),
        "input/2026-12-02/c.parquet": rows(1_300, 3),
        "input/d.csv": rows(10, 4),
        "input/e.parquet": rows(1, 5),
    }
    for key, table in inputs.items():
        put(client, key, table)
    client.put_object(Bucket=BUCKET, Key="input/README.txt", Body=b"not a table")

    for process in [job_index(index, 2) for index in range(2)]:
        finish(process)

    outputs = {
        key.replace("input/", "output/").rsplit(".", 1)[0] + ".parquet": table
        for key, table in inputs.items()
    }
    assert [key for key in keys(client, "output/") if key.endswith(".parquet")] == sorted(outputs)
    for key, table in outputs.items():
        scored = read_output(client, key)
        assert scored["row"].to_pylist() == list(range(table.num_rows))
    manifests = keys(client, "output/_manifests/")
    assert len(manifests) == len(inputs)

    # Nothing changed: nothing is scored again.
    first = finish(job_index(0, 2))
    assert "3 shards, 3 already complete" in first
    # A file replaced: only it is scored again.
    put(client, "input/2026-12-01/a.parquet", rows(1_500, 6))
    again = [finish(job_index(index, 2)) for index in range(2)]
    assert sum(line.startswith("{") for text in again for line in text.splitlines()) == 1
    assert read_output(client, "output/2026-12-01/a.parquet").num_rows == 1_500


def test_a_pod_killed_half_way_leaves_no_result_and_its_retry_writes_every_row_once(
    stored_model: bentoml.Model, s3
) -> None:
    client = s3
    table = rows(1_500_000, 7)
    put(client, "input/big.parquet", table)

    process = job_index(0, 1, "--batch-rows", 10_000, "--threads", 1)
    # Killed once its output is open (an S3 upload under way) and rows are being scored.
    deadline = time.monotonic() + 60
    while not client.list_multipart_uploads(Bucket=BUCKET).get("Uploads"):
        assert process.poll() is None, "the job finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    assert process.poll() is None, "the job finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert keys(client, "output/") == [], "a killed shard leaves no result and no manifest"
    finish(job_index(0, 1))
    scored = read_output(client, "output/big.parquet")
    assert scored.num_rows == table.num_rows
    assert scored["row"].to_pylist() == list(range(table.num_rows))
    manifest = json.loads(
        client.get_object(Bucket=BUCKET, Key="output/_manifests/big.json")["Body"].read()
    )
    assert (manifest["rows_read"], manifest["rows_scored"]) == (table.num_rows,) * 2
