"""The options every batch run shares: which model, how many threads, how many rows at a
time, and which input column identifies a row."""

import argparse
from pathlib import Path

from ..cpu_budget import usable_cpus
from ..settings import ServiceSettings

# Rows validated and scored at a time: large enough that per-batch costs vanish, small
# enough that memory stays a few tens of MiB whatever the file's size.
BATCH_ROWS = 65_536


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """What the local run and the cluster's shards share."""
    parser.add_argument("--id-column", help="the input's row key, copied to the output")
    parser.add_argument("--batch-rows", type=int, default=BATCH_ROWS, help="rows per batch")
    parser.add_argument("--model-tag", default=ServiceSettings().model_tag)
    parser.add_argument(
        "--model-store",
        type=Path,
        help="the model store to read (default: BentoML's); in the image: the bento's",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=usable_cpus(),
        help="ONNX Runtime threads (default: the CPUs this process may use)",
    )
