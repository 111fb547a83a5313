"""When a campaign moves, and where to (SIM-04, docs/simulator-contract.md#lifecycle-timing), as pure
functions on a Campaign.

Two kinds of transitions: the *decision* of a RequestPending campaign, made by a forward clock move
(not by an instant), and the *timed* ones, due at an instant (startDate 00:00Z, one day later).
The model applies a move as: decide what the move decides, then fire every timed transition due
by the new time in order of (instant, creation). Every change is one edge of
``conformance.spec.lifecycle.EDGES`` unless a planted fault says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from conformance.simulator.campaign import (
    DEVICE_ACCEPTED,
    DEVICE_FAILED,
    DEVICE_REJECTED,
    DEVICE_SUCCESS,
    Campaign,
)
from conformance.simulator.profile import Profile
from conformance.spec.lifecycle import RUN_LENGTH, Status, midnight

__all__ = ["Timing", "decide", "due_at", "fire", "shift"]

_MAX = datetime.max.replace(tzinfo=UTC)
_MIN = datetime.min.replace(tzinfo=UTC)


def shift(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta``, saturating at the ends of the calendar (startDate 9999-12-31 is valid JSON)."""
    try:
        return instant + delta
    except OverflowError:
        return _MAX if delta > timedelta(0) else _MIN


@dataclass(frozen=True, slots=True)
class Timing:
    """The timing knobs that planted faults turn; the clean simulator uses the defaults."""

    #: When a Queued campaign starts, relative to startDate 00:00Z.
    start_offset: timedelta = timedelta(0)
    #: How long an InProgress campaign runs (the contract's timing: one day).
    run_length: timedelta = RUN_LENGTH

    @classmethod
    def for_load(cls, profile: Profile, load_number: int) -> Timing:
        # FAULT life03-early-start: starts one day before startDate (LIFE-03).
        offset = timedelta(days=-1) if profile.fault("life03-early-start") else timedelta(0)
        run = RUN_LENGTH
        if profile.fault("sim03-nondeterministic") and load_number % 2 == 0:
            # FAULT sim03-nondeterministic: state leaks from how many worlds were loaded, so the
            # same world and requests finish a day later every second time (SIM-03).
            run += timedelta(days=1)
        return cls(start_offset=offset, run_length=run)


def _start(c: Campaign, timing: Timing) -> datetime:
    return shift(midnight(c.start_date), timing.start_offset)


def _finish(c: Campaign, timing: Timing) -> datetime:
    return shift(_start(c, timing), timing.run_length)


def due_at(c: Campaign, timing: Timing, profile: Profile, reachable: Callable[[str], bool]) -> datetime | None:
    """The instant of the campaign's next timed transition; None when it has none."""
    if c.cancelled:
        return None  # The contract's timing: a cancelled campaign leaves the timing, it never starts
    if c.status is Status.QUEUED:
        return _start(c, timing)
    if c.status is Status.IN_PROGRESS:
        if profile.fault("life05-never-ends") and not all(reachable(i) for i in c.devices):
            # FAULT life05-never-ends: waits for its unreachable ("busy") devices for ever, so it
            # is still InProgress long after its endDate (LIFE-05; under the control plane this
            # necessarily contradicts the SIM-04 timing too).
            return None
        return _finish(c, timing)
    if c.status is Status.FINISHED and profile.fault("life02-terminal-changes"):
        # FAULT life02-terminal-changes: a terminal campaign changes a day after finishing (LIFE-02).
        return shift(_finish(c, timing), timedelta(days=1))
    return None


def decide(c: Campaign) -> None:
    """RequestPending → Queued, or → RequestFailed for a semantically invalid request (POST-04)."""
    if c.valid:
        c.status = Status.QUEUED
        c.set_all(DEVICE_ACCEPTED, "success")
        return
    c.status = Status.REQUEST_FAILED
    common = c.failure or "Not scheduled: other devices of the request were rejected."
    for imei, state in c.devices.items():
        state.status, state.reason = DEVICE_REJECTED, c.rejections.get(imei, common)


def fire(c: Campaign, profile: Profile, reachable: Callable[[str], bool]) -> list[str]:
    """Apply the campaign's due timed transition; returns the devices it upgraded."""
    if c.status is Status.QUEUED:
        if any(reachable(imei) for imei in c.devices):
            c.status = Status.IN_PROGRESS
            for imei, state in c.devices.items():
                state.status = DEVICE_ACCEPTED
                state.reason = "Upgrade in progress." if reachable(imei) else "Waiting for the device to respond."
        else:
            # FAULT life02-bad-edge: Queued → RequestFailed is not an edge of LIFE-02.
            c.status = Status.REQUEST_FAILED if profile.fault("life02-bad-edge") else Status.UPGRADE_FAILED
            c.set_all(DEVICE_FAILED, "Device not reachable.")
        return []
    if c.status is Status.IN_PROGRESS:
        c.status = Status.FINISHED
        upgraded = []
        for imei, state in c.devices.items():
            if reachable(imei):
                state.status, state.reason = DEVICE_SUCCESS, "success"
                upgraded.append(imei)
            else:
                state.status, state.reason = DEVICE_FAILED, "Device did not respond before the campaign ended."
        return upgraded
    if c.status is Status.FINISHED:  # only reached under the life02-terminal-changes fault
        c.status = Status.UPGRADE_FAILED
    return []
