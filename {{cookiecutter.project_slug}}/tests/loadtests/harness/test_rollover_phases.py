"""A rollover's requests split by phase, and the rules it is judged by."""

from harness.recorded_run import RecordedRun, RequestRecord
from harness.rollover_phases import as_markdown, problems, split_into_phases


def run_with(failing_at: float | None = None) -> RecordedRun:
    """A request every 0.1 s for 30 s; the one sent at `failing_at` failed."""
    requests = [
        RequestRecord(
            tenth / 10, 4.0, "/predict", "status 502" if tenth / 10 == failing_at else None
        )
        for tenth in range(300)
    ]
    return RecordedRun(0.0, 30.0, requests)


def test_requests_fall_in_the_phase_they_were_sent_in() -> None:
    phases = split_into_phases(run_with(), switch_started=10.0, switch_ended=18.0)

    assert [(p.name, p.requests) for p in phases] == [
        ("before", 100),
        ("during the switch", 80),
        ("after", 120),
    ]
    assert [p.seconds for p in phases] == [10.0, 8.0, 12.0]
    assert problems(phases) == []


def test_an_error_during_the_switch_is_a_problem_naming_the_phase_and_message() -> None:
    phases = split_into_phases(run_with(failing_at=12.0), switch_started=10.0, switch_ended=18.0)

    assert problems(phases) == ["during the switch: 1 of 80 failed: 1 x status 502"]
    assert "| during the switch | 8.0 | 80 | 1 |" in as_markdown(phases)


def test_a_phase_with_too_few_requests_proves_nothing() -> None:
    phases = split_into_phases(run_with(), switch_started=10.0, switch_ended=10.5)

    assert problems(phases) == [
        "during the switch: 5 requests, fewer than 10; lengthen the phases (--phase-seconds)"
    ]
