"""A rollover's requests split by when they were sent: before the switch, during it (from
the old replica's withdrawal until its replacement is in rotation), and after it. A
rollover passes when every phase saw enough requests to mean something and none failed."""

import collections
from dataclasses import dataclass

from harness.recorded_run import RecordedRun, RequestRecord

PHASE_NAMES = ("before", "during the switch", "after")
# Fewer requests than this in a phase and "no errors" proves little about it.
MIN_REQUESTS_PER_PHASE = 10


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    requests: int
    failures: int
    failure_messages: dict[str, int]


def split_into_phases(run: RecordedRun, switch_started: float, switch_ended: float) -> list[Phase]:
    """Requests by the time they were sent. Phase boundaries are Unix times."""
    bounds = [run.started, switch_started, switch_ended, run.stopped]
    phases = []
    for name, start, end in zip(PHASE_NAMES, bounds, bounds[1:], strict=False):
        inside = [request for request in run.requests if start <= request.started < end]
        phases.append(phase(name, end - start, inside))
    return phases


def phase(name: str, seconds: float, requests: list[RequestRecord]) -> Phase:
    messages = collections.Counter(r.failure for r in requests if r.failure is not None)
    return Phase(name, seconds, len(requests), sum(messages.values()), dict(messages))


def problems(phases: list[Phase]) -> list[str]:
    found = []
    for each in phases:
        if each.requests < MIN_REQUESTS_PER_PHASE:
            found.append(
                f"{each.name}: {each.requests} requests, fewer than {MIN_REQUESTS_PER_PHASE}; "
                "lengthen the phases (--phase-seconds)"
            )
        if each.failures:
            common = "; ".join(f"{n} x {m}" for m, n in each.failure_messages.items())
            found.append(f"{each.name}: {each.failures} of {each.requests} failed: {common}")
    return found


def as_markdown(phases: list[Phase]) -> str:
    lines = ["| phase | seconds | requests | errors |", "|---|---|---|---|"]
    lines += [f"| {p.name} | {p.seconds:.1f} | {p.requests} | {p.failures} |" for p in phases]
    return "\n".join(lines) + "\n"
