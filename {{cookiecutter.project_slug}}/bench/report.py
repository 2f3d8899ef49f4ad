"""The benchmark's results: one table on stdout, the same rows as JSON, and a PNG chart."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BASELINE, SERVICE, CEILING = "baseline", "service", "ceiling"
# The service with its access log off, and with tracing on at a ratio (bench/setup.py).
NO_ACCESS_LOG = "no-access-log"


def traced(ratio: float) -> str:
    return f"traced-{ratio:.0%}"


SINGLE, BATCH = "single", "batch"


@dataclass(frozen=True)
class Row:
    server: str
    scenario: str
    records_per_request: int
    requests_per_second: float
    records_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    peak_rss_mib: float
    ready_seconds: float
    load_average: float
    busy_cpus_before: float | None
    # Every trial's rate; the row's other numbers are the median trial's.
    trials_requests_per_second: list[float]
    vs_baseline: float = 0.0
    vs_ceiling: float = 0.0

    @property
    def trial_range(self) -> str:
        """Slowest and fastest trial, so a lopsided trial shows in the table."""
        rates = self.trials_requests_per_second
        return f"{min(rates):,.0f}-{max(rates):,.0f}"


def with_ratios(rows: list[Row]) -> list[Row]:
    """Requests/s of each row divided by the baseline's and the ceiling's in the same scenario."""
    by_key = {(row.server, row.scenario): row for row in rows}

    def ratio(row: Row, server: str) -> float:
        reference = by_key.get((server, row.scenario))
        return row.requests_per_second / reference.requests_per_second if reference else 0.0

    return [
        Row(
            **{
                **asdict(row),
                "vs_baseline": ratio(row, BASELINE),
                "vs_ceiling": ratio(row, CEILING),
            }
        )
        for row in rows
    ]


def targets(rows: list[Row]) -> list[tuple[str, bool]]:
    """The issue's targets, each as (what was measured against what, met or not)."""
    by_key = {(row.server, row.scenario): row for row in rows}
    service, baseline = by_key[(SERVICE, SINGLE)], by_key[(BASELINE, SINGLE)]
    batch = by_key[(SERVICE, BATCH)]
    batch_ratio = batch.records_per_second / baseline.records_per_second
    return [
        (
            f"single-record req/s {service.vs_baseline:.2f}x the baseline (>= 4x)",
            service.vs_baseline >= 4,
        ),
        (
            f"single-record p99 {service.p99_ms:.1f} ms vs baseline {baseline.p99_ms:.1f} ms (<=)",
            service.p99_ms <= baseline.p99_ms,
        ),
        (
            f"single-record non-2xx {service.non_2xx} (0)",
            service.non_2xx == 0 and service.socket_errors == 0,
        ),
        (
            f"single-record req/s {service.vs_ceiling:.0%} of the ceiling (>= 70%)",
            service.vs_ceiling >= 0.7,
        ),
        (
            f"batch records/s {batch_ratio:.1f}x the baseline's single-record records/s (>= 20x)",
            batch_ratio >= 20,
        ),
        (
            f"ready {service.ready_seconds:.2f} s after process start (<= 3 s)",
            service.ready_seconds <= 3,
        ),
    ]


COLUMNS = (
    ("server", "server", "{}"),
    ("scenario", "scenario", "{}"),
    ("req/s", "requests_per_second", "{:,.0f}"),
    ("req/s of trials", "trial_range", "{}"),
    ("records/s", "records_per_second", "{:,.0f}"),
    ("p50 ms", "p50_ms", "{:.1f}"),
    ("p99 ms", "p99_ms", "{:.1f}"),
    ("non-2xx", "non_2xx", "{}"),
    ("peak RSS MiB", "peak_rss_mib", "{:.0f}"),
    ("ready s", "ready_seconds", "{:.2f}"),
    ("x baseline", "vs_baseline", "{:.2f}"),
    ("x ceiling", "vs_ceiling", "{:.2f}"),
    ("load avg", "load_average", "{:.2f}"),
    ("busy CPUs before", "busy_cpus_before", "{:.2f}"),
)


def markdown_table(rows: list[Row]) -> str:
    """A Markdown table: readable on a terminal, pasteable into Markdown."""
    cells = [[fmt.format(getattr(row, field)) for _, field, fmt in COLUMNS] for row in rows]
    header = [title for title, _, _ in COLUMNS]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(COLUMNS))]

    def line(values: list[str]) -> str:
        return (
            "| "
            + " | ".join(value.rjust(width) for value, width in zip(values, widths, strict=True))
            + " |"
        )

    separator = "|" + "|".join("-" * (width + 1) + ":" for width in widths) + "|"
    return "\n".join([line(header), separator, *(line(values) for values in cells)])


def write_json(path: Path, rows: list[Row], run: dict[str, object]) -> None:
    checked = [{"target": text, "met": met} for text, met in targets(rows)]
    document = {"run": run, "rows": [asdict(row) for row in rows], "targets": checked}
    path.write_text(json.dumps(document, indent=2) + "\n")


# The chart: one panel per scenario, a horizontal bar per server.
WIDTH, BAR_HEIGHT, LEFT, MARGIN = 900, 36, 120, 20
COLOURS = {BASELINE: (170, 170, 170), SERVICE: (33, 113, 181), CEILING: (107, 174, 214)}
# The service's variants.
VARIANT_COLOUR = (158, 202, 225)


def write_chart(path: Path, rows: list[Row], title: str) -> None:
    font = ImageFont.load_default(size=15)
    panels = (
        (SINGLE, "requests/s", "requests_per_second"),
        (BATCH, "records/s", "records_per_second"),
    )
    panel_height = 40 + len({row.server for row in rows}) * (BAR_HEIGHT + 10)
    image = Image.new("RGB", (WIDTH, 50 + panel_height * len(panels)), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, 15), title, fill="black", font=ImageFont.load_default(size=18))
    for index, (scenario, unit, field) in enumerate(panels):
        top = 50 + index * panel_height
        shown = [row for row in rows if row.scenario == scenario]
        largest = max((getattr(row, field) for row in shown), default=1) or 1
        records = shown[0].records_per_request if shown else 0
        draw.text(
            (MARGIN, top), f"{records} record(s) per request: {unit}", fill="black", font=font
        )
        for position, row in enumerate(shown):
            y = top + 30 + position * (BAR_HEIGHT + 10)
            value = getattr(row, field)
            length = int((WIDTH - LEFT - 160) * value / largest)
            draw.text((MARGIN, y + 9), row.server, fill="black", font=font)
            draw.rectangle(
                (LEFT, y, LEFT + max(length, 1), y + BAR_HEIGHT),
                fill=COLOURS.get(row.server, VARIANT_COLOUR),
            )
            label = f"{value:,.0f}  (p99 {row.p99_ms:.0f} ms)"
            draw.text((LEFT + length + 8, y + 9), label, fill="black", font=font)
    image.save(path, format="PNG")
