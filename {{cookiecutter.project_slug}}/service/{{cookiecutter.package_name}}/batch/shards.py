"""The cluster's batch job: one index of a Kubernetes Indexed Job scoring its share of the
files under an input prefix (infra/cloud/batch_job.py).

    python -m <package>.batch.shards --input s3://bucket/input/ --output s3://bucket/output/
        --count N [--index I]    (I defaults to $JOB_COMPLETION_INDEX)

The input's files, in key order, are dealt out to the N indexes: index I takes files I,
I+N, I+2N... Each file is a shard; its results take the file's name under the output
prefix:

    output/<name>.parquet              the scored rows (the prefix reads as one dataset)
    output/_rejects/<name>.jsonl       the rejected rows and why
    output/_manifests/<name>.json      written last: the shard is complete

A shard with a manifest for the same input (size and time) is skipped, so a rerun, the
Job's retry of a failed index, or the next scheduled run scores only what is new or
changed. A shard interrupted half-way has no manifest and is scored again from the start
into the same keys: no row is written twice.
"""

import argparse
import json
import os
import sys
from dataclasses import dataclass

import pyarrow.fs

from .arguments import add_model_arguments
from .scoring import Scorer, peak_memory_mib, score_file
from .tables import InputError, InputTable, is_scorable, locate, without_format

MANIFESTS = "_manifests"
# An input file that is not a table: no retry can fix it (the Job fails the index at once).
UNREADABLE_INPUT = 2
REJECTS = "_rejects"


@dataclass(frozen=True)
class Shard:
    """One input file and where its results go."""

    input_uri: str
    name: str
    size: int
    modified: str
    output_prefix: str

    @property
    def output_uri(self) -> str:
        return f"{self.output_prefix}{self.name}.parquet"

    @property
    def rejects_uri(self) -> str:
        return f"{self.output_prefix}{REJECTS}/{self.name}.jsonl"

    @property
    def manifest_uri(self) -> str:
        return f"{self.output_prefix}{MANIFESTS}/{self.name}.json"

    def source(self) -> dict[str, object]:
        return {"uri": self.input_uri, "size": self.size, "modified": self.modified}


def with_slash(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


def uri_of(prefix_uri: str, path: str, prefix_path: str) -> str:
    """The address of `path`, a file found under the prefix, in the prefix's own form."""
    return prefix_uri + path[len(prefix_path) :]


def list_shards(input_prefix: str, output_prefix: str) -> list[Shard]:
    """Every scorable file under the input prefix, in key order."""
    input_prefix, output_prefix = with_slash(input_prefix), with_slash(output_prefix)
    filesystem, base = locate(input_prefix)
    base = with_slash(base)
    found = filesystem.get_file_info(pyarrow.fs.FileSelector(base, recursive=True))
    files = sorted(
        (info for info in found if info.is_file and is_scorable(info.path)),
        key=lambda info: info.path,
    )
    return [
        Shard(
            input_uri=uri_of(input_prefix, info.path, base),
            # The file's key below the prefix, without its format's suffix.
            name=without_format(info.path[len(base) :]),
            size=info.size,
            modified=info.mtime.isoformat() if info.mtime else "",
            output_prefix=output_prefix,
        )
        for info in files
    ]


def completed(output_prefix: str) -> dict[str, dict[str, object]]:
    """The manifests under the output prefix, by shard name: one listing, and a read of
    each manifest found (a missing object is never asked for: without s3:ListBucket on
    its key, S3 would answer 403, not 404)."""
    prefix = f"{with_slash(output_prefix)}{MANIFESTS}/"
    filesystem, base = locate(prefix)
    found = filesystem.get_file_info(
        pyarrow.fs.FileSelector(base, recursive=True, allow_not_found=True)
    )
    manifests = {}
    for info in found:
        if info.is_file and info.path.endswith(".json"):
            with filesystem.open_input_stream(info.path) as stream:
                manifests[info.path[len(base) : -len(".json")]] = json.loads(stream.read())
    return manifests


def score_shard(scorer: Scorer, shard: Shard, batch_rows: int, id_column: str | None) -> dict:
    source = InputTable.open(shard.input_uri, batch_rows, id_column)
    summary = score_file(scorer, source, shard.output_uri, shard.rejects_uri)
    manifest = {
        "input": shard.source(),
        "output": shard.output_uri,
        "rejects": shard.rejects_uri,
        "model_version": str(scorer.version[0]),
        **summary.as_dict(),
    }
    filesystem, path = locate(shard.manifest_uri)
    with filesystem.open_output_stream(path) as stream:
        stream.write(json.dumps(manifest, indent=2).encode())
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the prefix whose files are scored")
    parser.add_argument("--output", required=True, help="the prefix results are written under")
    parser.add_argument("--count", type=int, required=True, help="the Job's completions")
    parser.add_argument("--index", type=int, default=os.environ.get("JOB_COMPLETION_INDEX"))
    add_model_arguments(parser)
    arguments = parser.parse_args(argv)
    if arguments.index is None or not 0 <= arguments.index < arguments.count:
        parser.error(f"--index (or JOB_COMPLETION_INDEX) must be in 0..{arguments.count - 1}")

    shards = list_shards(arguments.input, arguments.output)[arguments.index :: arguments.count]
    done = completed(arguments.output)
    pending = [shard for shard in shards if done.get(shard.name, {}).get("input") != shard.source()]
    print(
        f"Index {arguments.index} of {arguments.count}: {len(shards)} shards, "
        f"{len(shards) - len(pending)} already complete",
        flush=True,
    )
    scorer = Scorer.load(arguments)
    unreadable = []
    for shard in pending:
        try:
            manifest = score_shard(scorer, shard, arguments.batch_rows, arguments.id_column)
        except InputError as error:
            # Not the job's fault, and no retry will fix it: report it, go on with the rest.
            print(f"Not scored: {error}", file=sys.stderr, flush=True)
            unreadable.append(shard.input_uri)
            continue
        print(json.dumps({**manifest, "peak_memory_mib": round(peak_memory_mib())}), flush=True)
    if unreadable:
        print(f"{len(unreadable)} files could not be scored: {', '.join(unreadable)}")
        return UNREADABLE_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
