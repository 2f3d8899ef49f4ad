"""Where batch input comes from and results go: Parquet or CSV files, on this machine or
in S3 (`s3://bucket/key`), read and written a batch of rows at a time.

S3 goes through Arrow's own client, which finds credentials the way AWS's SDKs do (EKS
Pod Identity in the cluster, a profile on a laptop) and honours AWS_ENDPOINT_URL.
"""

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import pyarrow as pa
import pyarrow.csv
import pyarrow.fs
import pyarrow.parquet as pq

from ..features import FEATURE_NAMES

PARQUET_SUFFIXES = (".parquet", ".pq")
# Arrow decompresses a CSV file by its suffix.
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst")
# Bytes of CSV parsed at a time: the read-ahead, so memory does not grow with the file.
CSV_BLOCK_BYTES = 4 * 1024 * 1024


class InputError(ValueError):
    """The input cannot be scored at all: the run stops before writing anything."""


def locate(uri: str) -> tuple[pyarrow.fs.FileSystem, str]:
    """The file system and path of a local path or an s3:// address."""
    if not uri.startswith("s3://"):
        return pyarrow.fs.LocalFileSystem(), os.path.abspath(uri)
    region = os.environ.get("AWS_REGION")
    if region is None:
        # Arrow asks S3 where the bucket is (HeadBucket), which needs s3:ListBucket.
        return pyarrow.fs.FileSystem.from_uri(uri)
    # In the cluster the region is given, and the job's role may list two prefixes only.
    # (Given arguments, Arrow no longer reads the endpoint from the environment itself.)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    filesystem = pyarrow.fs.S3FileSystem(region=region, endpoint_override=endpoint)
    return filesystem, uri.removeprefix("s3://")


def is_scorable(path: str) -> bool:
    return path.lower().endswith(PARQUET_SUFFIXES + CSV_SUFFIXES)


def without_format(path: str) -> str:
    """`a/b.csv.gz` -> `a/b`."""
    for suffix in PARQUET_SUFFIXES + CSV_SUFFIXES:
        if path.lower().endswith(suffix):
            return path[: -len(suffix)]
    return path


@dataclass
class InputTable:
    """An input file as a stream of record batches."""

    batches: Iterator[pa.RecordBatch]
    schema: pa.Schema
    # Known up front for Parquet (from its footer), not for CSV.
    rows: int | None
    # CSV cells are text, parsed as numbers; Parquet columns must hold numbers.
    from_text: bool
    # CSV lines with too few or too many cells, as rejects (with their line number,
    # not a row number: they are not rows), filled in as the batches are read.
    malformed: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def open(cls, uri: str, batch_rows: int, id_column: str | None) -> Self:
        filesystem, path = locate(uri)
        lower = path.lower()
        columns = [*FEATURE_NAMES, *([id_column] if id_column else [])]
        try:
            if lower.endswith(PARQUET_SUFFIXES):
                # Without pre-buffering: with it, Arrow reads ahead without bound, and memory
                # grew with the file (437 MiB more for 10 million rows, 87 for 1 million).
                parquet = pq.ParquetFile(filesystem.open_input_file(path), pre_buffer=False)
                check_columns(uri, parquet.schema_arrow, columns)
                batches = parquet.iter_batches(batch_size=batch_rows, columns=columns)
                schema = parquet.schema_arrow
                return cls(batches, schema, parquet.metadata.num_rows, from_text=False)
            if lower.endswith(CSV_SUFFIXES):
                malformed: list[dict[str, Any]] = []
                reader = pyarrow.csv.open_csv(
                    filesystem.open_input_stream(path),
                    # One thread, so that a malformed line's number is known.
                    read_options=pyarrow.csv.ReadOptions(
                        block_size=CSV_BLOCK_BYTES, use_threads=False
                    ),
                    parse_options=pyarrow.csv.ParseOptions(
                        invalid_row_handler=lambda row: malformed_line(row, malformed)
                    ),
                    convert_options=pyarrow.csv.ConvertOptions(
                        # Features as text: a cell that is not a number rejects its row,
                        # not the whole file, as a typed column would.
                        column_types=dict.fromkeys(FEATURE_NAMES, pa.string()),
                        strings_can_be_null=True,
                        include_columns=columns,
                        include_missing_columns=True,
                    ),
                )
                check_columns(uri, reader.schema, columns, present=csv_header(uri))
                batches = rebatch(reader, batch_rows)
                return cls(batches, reader.schema, None, from_text=True, malformed=malformed)
        except FileNotFoundError as error:
            raise InputError(f"{uri}: no such file") from error
        except pa.ArrowInvalid as error:
            raise InputError(f"{uri}: not a readable table: {error}") from error
        raise InputError(
            f"{uri}: score which format? Name it *.parquet, *.pq or *.csv (optionally .gz, "
            ".bz2 or .zst)"
        )


def malformed_line(row: pyarrow.csv.InvalidRow, malformed: list[dict[str, Any]]) -> str:
    malformed.append(
        {
            "line": row.number,
            "reason": f"{row.actual_columns} cells where the header has {row.expected_columns}",
            "text": row.text,
        }
    )
    return "skip"


def csv_header(uri: str) -> list[str]:
    """The CSV file's own column names (the reader fills in columns it lacks)."""
    filesystem, path = locate(uri)
    with pyarrow.csv.open_csv(
        filesystem.open_input_stream(path),
        read_options=pyarrow.csv.ReadOptions(block_size=64 * 1024),
        # Only the names are read here; a malformed line is the scoring's to report.
        parse_options=pyarrow.csv.ParseOptions(invalid_row_handler=lambda row: "skip"),
    ) as reader:
        return reader.schema.names


def check_columns(
    uri: str, schema: pa.Schema, wanted: list[str], present: list[str] | None = None
) -> None:
    names = schema.names if present is None else present
    missing = [name for name in wanted if name not in names]
    if missing:
        raise InputError(
            f"{uri}: no column {', '.join(missing)}; it has {', '.join(names) or 'none'} "
            f"(the model reads {', '.join(FEATURE_NAMES)})"
        )


def rebatch(reader: pyarrow.csv.CSVStreamingReader, rows: int) -> Iterator[pa.RecordBatch]:
    """CSV blocks hold as many rows as fit their bytes: hand them on `rows` at a time."""
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for block in reader:
        pending.append(block)
        pending_rows += block.num_rows
        while pending_rows >= rows:
            table = pa.Table.from_batches(pending)
            yield from table.slice(0, rows).combine_chunks().to_batches()
            rest = table.slice(rows)
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


class OutputFiles:
    """The scored rows as Parquet and the rejected ones as JSON Lines.

    In S3 an object appears only when its upload completes, when it is closed. On this
    machine each file is written under a temporary name and renamed when complete. Either
    way a failed run leaves no half-written result behind."""

    def __init__(self, output_uri: str, rejects_uri: str, schema: pa.Schema) -> None:
        self.files = [OutputFile(output_uri), OutputFile(rejects_uri)]
        self.scored = pq.ParquetWriter(self.files[0].stream, schema, compression="zstd")
        self.rejects = self.files[1].stream

    def write_scored(self, scored: pa.RecordBatch) -> None:
        if scored.num_rows:
            self.scored.write_batch(scored)

    def write_rejects(self, rejects: list[dict[str, Any]]) -> None:
        for reject in rejects:
            self.rejects.write(json.dumps(reject, ensure_ascii=False).encode() + b"\n")

    def close(self) -> None:
        self.scored.close()
        for file in self.files:
            file.close()

    def discard(self) -> None:
        for file in self.files:
            file.discard()


class OutputFile:
    def __init__(self, uri: str) -> None:
        self.filesystem, self.path = locate(uri)
        self.local = isinstance(self.filesystem, pyarrow.fs.LocalFileSystem)
        if self.local:
            parent = self.path.rpartition("/")[0]
            if parent:
                self.filesystem.create_dir(parent, recursive=True)
        self.written = f"{self.path}.partial" if self.local else self.path
        self.stream = self.filesystem.open_output_stream(self.written)

    def close(self) -> None:
        self.stream.close()
        if self.local:
            self.filesystem.move(self.written, self.path)

    def discard(self) -> None:
        """Leave nothing behind. Closing an S3 stream completes its upload, so the object is
        then deleted; a process killed outright leaves no object, only an incomplete upload,
        which the bucket's lifecycle rule removes."""
        if not self.stream.closed:
            self.stream.close()
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self.written)
