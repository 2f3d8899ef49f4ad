"""Score a Parquet or CSV file with the served model.

    make batch INPUT=rows.parquet OUTPUT=scored.parquet
    python -m <package>.batch INPUT OUTPUT [--rejects FILE] [--id-column NAME]

INPUT and OUTPUT are local paths or s3:// addresses. The output holds, per scored row,
the input's id column (or its row number, from 0), the label, every class's probability
and the model version. Rows the API would refuse go to the rejects file (OUTPUT with
.rejects.jsonl), one JSON line each with its row number, reason and values.

Exit code: 0 when every row was scored, 3 when some were rejected, 2 when the input
cannot be scored at all (then nothing is written), 1 on any other failure.
"""

import argparse
import json
import sys
import time

from .arguments import add_model_arguments
from .scoring import Scorer, Summary, peak_memory_mib, score_file
from .tables import InputError, InputTable

ROWS_REJECTED = 3


class Progress:
    """A progress line on a terminal; a line every `every_seconds` in a log."""

    def __init__(self, total: int | None, every_seconds: float = 10.0) -> None:
        self.total = total
        self.every_seconds = every_seconds
        self.started = self.shown = time.monotonic()
        self.terminal = sys.stderr.isatty()

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if not self.terminal and now - self.shown < self.every_seconds:
            return
        self.shown = now
        rate = rows / max(now - self.started, 1e-9)
        done = f"{rows:,}" if self.total is None else f"{rows / max(self.total, 1):4.0%} {rows:,}"
        of = "" if self.total is None else f"/{self.total:,}"
        line = f"{done}{of} rows, {rate:,.0f} rows/s"
        print(f"\r{line}" if self.terminal else line, end="", file=sys.stderr, flush=True)
        if not self.terminal:
            print(file=sys.stderr)

    def finish(self) -> None:
        if self.terminal:
            print(file=sys.stderr)


def describe(summary: Summary, output: str, rejects: str) -> str:
    return "\n".join(
        [
            f"Read {summary.rows_read:,} rows: scored {summary.rows_scored:,}, "
            f"rejected {summary.rows_rejected:,}, in {summary.seconds:.1f} s "
            f"({summary.rows_per_second:,.0f} rows/s); peak memory {peak_memory_mib():.0f} MiB",
            f"Scored rows: {output}",
            f"Rejected rows and why: {rejects}" if summary.rows_rejected else "No row rejected.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a .parquet or .csv file, local or s3://")
    parser.add_argument("output", help="the scored rows, as Parquet, local or s3://")
    parser.add_argument("--rejects", help="default: OUTPUT with .rejects.jsonl")
    add_model_arguments(parser)
    arguments = parser.parse_args(argv)
    if not arguments.output.lower().endswith((".parquet", ".pq")):
        parser.error(f"OUTPUT is written as Parquet: name it *.parquet ({arguments.output})")
    rejects = arguments.rejects or arguments.output.rsplit(".", 1)[0] + ".rejects.jsonl"

    try:
        source = InputTable.open(arguments.input, arguments.batch_rows, arguments.id_column)
    except InputError as error:
        print(f"Nothing scored: {error}", file=sys.stderr)
        return 2
    scorer = Scorer.load(arguments)
    progress = Progress(source.rows)
    summary = score_file(scorer, source, arguments.output, rejects, progress)
    progress.finish()
    print(describe(summary, arguments.output, rejects))
    print(json.dumps({**summary.as_dict(), "peak_memory_mib": round(peak_memory_mib())}))
    return ROWS_REJECTED if summary.rows_rejected else 0


if __name__ == "__main__":
    sys.exit(main())
