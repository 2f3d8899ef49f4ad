"""The drift job's report as one HTML page: the verdict, every column's test, and each
feature's distribution in the reference and in the window side by side. No script and
no external resource: it opens anywhere, from a CI artifact or a laptop."""

from html import escape

import numpy as np

from ..features import FEATURES
from .drift import ColumnDrift, DriftResult, Traffic

# Each categorical feature's values, in code order.
CATEGORIES = {feature.name: feature.categories for feature in FEATURES if feature.categories}

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse;margin:1rem 0}"
    "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}"
    ".drift{background:#fde2e1}"
)


def table(header: list[str], rows: list[tuple[list[str], bool]]) -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        f"<tr{' class=drift' if marked else ''}>"
        + "".join(f"<td>{escape(cell)}</td>" for cell in cells)
        + "</tr>"
        for cells, marked in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def test_row(column: ColumnDrift) -> tuple[list[str], bool]:
    cells = [column.column, column.method, f"{column.score:.4g}", f"{column.threshold:g}"]
    return [*cells, "yes" if column.drifted else "no"], column.drifted


def distribution_rows(
    name: str, reference: np.ndarray, current: np.ndarray, drifted: bool
) -> list[tuple[list[str], bool]]:
    return [
        (
            [
                f"{name} ({source})",
                f"{values.mean():.4g}",
                *map("{:.4g}".format, np.quantile(values, QUANTILES)),
            ],
            drifted,
        )
        for source, values in (("reference", reference), ("window", current))
    ]


def proportion_rows(
    name: str, reference: np.ndarray, current: np.ndarray, drifted: bool
) -> list[tuple[list[str], bool]]:
    """A category's share of each of its values (held as codes)."""
    count = len(CATEGORIES[name])
    return [
        (
            [
                f"{name} ({source})",
                *(
                    f"{share:.1%}"
                    for share in np.bincount(codes.astype(int), minlength=count)
                    / max(len(codes), 1)
                ),
            ],
            drifted,
        )
        for source, codes in (("reference", reference), ("window", current))
    ]


def render(
    result: DriftResult,
    reference: Traffic,
    current: Traffic,
    feature_names: tuple[str, ...],
    model_version: str,
) -> str:
    tests = table(
        ["column", "method", "score", "threshold", "drifted"],
        [test_row(column) for column in [*result.features, *result.predictions]],
    )
    drifted = set(result.drifted_features)
    numbers = [(index, name) for index, name in enumerate(feature_names) if name not in CATEGORIES]
    distributions = table(
        ["feature", "mean", *(f"p{round(q * 100)}" for q in QUANTILES)],
        [
            row
            for index, name in numbers
            for row in distribution_rows(
                name, reference.features[:, index], current.features[:, index], name in drifted
            )
        ],
    )
    for index, name in enumerate(feature_names):
        if name in CATEGORIES:
            distributions += table(
                [name, *CATEGORIES[name]],
                proportion_rows(
                    name, reference.features[:, index], current.features[:, index], name in drifted
                ),
            )
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>Drift: {escape(result.verdict)}</title><style>{STYLE}</style>"
        f"<h1>Drift verdict: {escape(result.verdict)}</h1>"
        f"<p>{result.rows_compared} logged rows against {result.reference_rows} reference rows "
        f"of {escape(model_version)}; {len(drifted)} of {len(feature_names)} features drifted.</p>"
        f"<h2>Tests</h2>{tests}<h2>Distributions</h2>{distributions}</html>\n"
    )
