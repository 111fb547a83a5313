"""The campaign lifecycle of FOTA v1, as data and pure functions.

One table serves three readers: the suite uses it as the oracle for what a target may answer
(``expected_status`` is the SIM-04 timing), the Markdown report draws it as a state diagram, and the
reference simulator takes its run length from here — the simulator moves campaigns by its own
``simulator/timeline.py`` (which planted faults can bend), and a test runs both side by side so
that they cannot disagree silently. Sources: docs/rules.md LIFE-01..06 and the control plane's
timing in docs/simulator-contract.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

__all__ = [
    "DEFAULT_DURATION",
    "EDGES",
    "OPEN",
    "STARTED",
    "STATUSES",
    "TERMINAL",
    "CampaignFacts",
    "Status",
    "expected_status",
    "is_allowed_change",
    "midnight",
    "reachable_from",
]


class Status(StrEnum):
    REQUEST_PENDING = "RequestPending"
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    FINISHED = "Finished"
    REQUEST_FAILED = "RequestFailed"
    UPGRADE_FAILED = "UpgradeFailed"


S = Status

#: LIFE-02: the only status changes a campaign may make.
EDGES: frozenset[tuple[Status, Status]] = frozenset(
    {
        (S.REQUEST_PENDING, S.QUEUED),
        (S.REQUEST_PENDING, S.REQUEST_FAILED),
        (S.QUEUED, S.IN_PROGRESS),
        (S.QUEUED, S.UPGRADE_FAILED),
        (S.IN_PROGRESS, S.FINISHED),
        (S.IN_PROGRESS, S.UPGRADE_FAILED),
    }
)
OPEN: frozenset[Status] = frozenset({S.REQUEST_PENDING, S.QUEUED})
STARTED: frozenset[Status] = frozenset({S.IN_PROGRESS, S.FINISHED, S.UPGRADE_FAILED})
TERMINAL: frozenset[Status] = frozenset({S.FINISHED, S.REQUEST_FAILED, S.UPGRADE_FAILED})
#: LIFE-01: the six names a campaign status may have, as the strings a body carries.
STATUSES: frozenset[str] = frozenset(s.value for s in Status)

#: LIFE-05: without an endDate a campaign should be over this long after its startDate.
DEFAULT_DURATION = timedelta(days=7)
#: Under the control plane an InProgress campaign finishes one day after its start
#: (docs/simulator-contract.md#lifecycle-timing).
RUN_LENGTH = timedelta(days=1)


def reachable_from(status: Status) -> frozenset[Status]:
    """Every status reachable from ``status`` by zero or more edges (states may be skipped unseen)."""
    seen = {status}
    frontier = [status]
    while frontier:
        current = frontier.pop()
        for src, dst in EDGES:
            if src == current and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    return frozenset(seen)


def is_allowed_change(before: Status, after: Status) -> bool:
    """LIFE-02 between two observations: any path of edges, including staying put."""
    return after in reachable_from(before)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What decides a campaign's status under the control plane's timing
    (docs/simulator-contract.md#lifecycle-timing)."""

    start_date: date
    #: False when the request was semantically invalid (POST-04) and was accepted anyway.
    valid: bool
    #: At least one of its devices (at the time it starts) is reachable.
    any_reachable: bool
    #: The clock moved forward at least once since the campaign was accepted.
    decided: bool
    cancelled: bool = False


def expected_status(facts: CampaignFacts, now: datetime) -> Status | None:
    """The status the SIM-04 timing prescribes at ``now``; None once cancelled (GET may 4xx then).

    The rule: RequestPending until the first forward clock move, then RequestFailed (invalid) or
    Queued; at startDate 00:00Z InProgress (or UpgradeFailed with no reachable device); at
    startDate + 1 day Finished. A cancelled campaign leaves this timing.
    """
    if facts.cancelled:
        return None
    if not facts.decided:
        return S.REQUEST_PENDING
    if not facts.valid:
        return S.REQUEST_FAILED
    start = midnight(facts.start_date)
    if now < start:
        return S.QUEUED
    if not facts.any_reachable:
        return S.UPGRADE_FAILED
    if now < start + RUN_LENGTH:
        return S.IN_PROGRESS
    return S.FINISHED
