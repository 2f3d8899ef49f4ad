"""Records for `make loadtest` to send: the example dataset's rows, as JSON lines, with
one feature optionally shifted to rehearse drift (`make loadtest SHIFT=<feature>=2`).

The load test draws its valid records from this file, so the logged traffic follows the
data the model was trained on and `make drift-report` has a real "no drift" to find.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..features import NUMERIC_FEATURES, as_values
from ..model.dataset import load_dataset


def parse_shift(text: str | None) -> tuple[str, float] | None:
    if not text:
        return None
    name, _, amount = text.partition("=")
    if name not in NUMERIC_FEATURES or not amount:
        raise SystemExit(
            f"SHIFT={text!r}: expected <feature>=<amount>, with a numeric feature among "
            f"{', '.join(NUMERIC_FEATURES)}; e.g. SHIFT={NUMERIC_FEATURES[0]}=2"
        )
    return name, float(amount)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--shift", help="<feature>=<amount> added to every record")
    arguments = parser.parse_args(argv)
    shift = parse_shift(arguments.shift)
    dataset = load_dataset()
    rows = np.vstack([dataset.features_train, dataset.features_test])
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    with arguments.output.open("w") as output:
        for row in rows.tolist():
            record = as_values(row)
            if shift:
                name, amount = shift
                shifted = record[name] + amount
                record[name] = (
                    round(shifted) if isinstance(record[name], int) else round(shifted, 4)
                )
            output.write(json.dumps(record) + "\n")
    print(
        f"Wrote {len(rows)} records to {arguments.output}"
        + (f", {shift[0]} shifted by {shift[1]:+g}" if shift else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
