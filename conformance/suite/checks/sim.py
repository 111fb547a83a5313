"""SIM-01..04: the control plane of docs/simulator-contract.md — world loading, the clock, determinism, timing.

Only the contract's three calls are used (GET/PUT clock, PUT world), so any simulator that offers
them can be judged. The exact timing oracle is ``conformance.spec.lifecycle.expected_status``; the
reference simulator moves campaigns by its own ``simulator/timeline.py``, and a test runs both side
by side so that they cannot disagree silently. API requests go through ``ctx.calls`` (every answer
judged for WIRE-01/02 too); control-plane calls are no API operation and are judged here only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from conformance.spec.lifecycle import CampaignFacts, expected_status
from conformance.spec.world import Credential, format_instant
from conformance.suite.checks.lifecycle import CANCELLED_OK
from conformance.suite.context import Ctx, suite_world
from conformance.suite.http import Exchange
from conformance.suite.oracle import error_problem, item_statuses
from conformance.suite.registry import check
from conformance.suite.toolkit import Campaign, Tracker, move_clock


@check("SIM-01", needs_control=True)
def world_replaces_all_state(ctx: Ctx) -> None:
    """PUT /__control/world: old upgrades are gone, the clock is the world's now, its credentials rule."""
    assert ctx.control is not None
    t = Tracker(ctx)
    _, c = t.submit(ctx.schedule_body(1))
    if c is not None:
        before, _ = t.get(c)
        ctx.fresh_world()
        after, _ = t.get(c)
        if before.status == 200:
            ctx.expect("SIM-01", after.status is not None and 400 <= after.status < 500,
                       "an upgrade created before PUT /__control/world still exists after it",
                       expected="GET answers 4xx (no upgrade exists after a world load)", exchanges=t.log)
    # A second world: a later now, alpha's tokens renamed, one device only it has.
    base = suite_world()
    old = base.credentials[0]
    new = Credential(old.bearer + "-reloaded", old.m2m + "-reloaded", old.accounts)
    world = replace(base, now=base.now + timedelta(days=10, hours=5), credentials=(new, *base.credentials[1:]))
    ctx.fresh_world(world)
    now = ctx.control.now()
    ctx.expect("SIM-01", now == world.now, "the clock after PUT /__control/world is not the world's now",
               expected=format_instant(world.now), actual=format_instant(now))
    body = ctx.schedule_body(1)
    stale = ctx.calls.schedule(body, creds=old)
    t.note(stale)
    ctx.expect("SIM-01", stale.status is not None and 400 <= stale.status < 500,
               "credentials of the previous world still work after loading a world without them",
               expected="4xx (unknown token)", exchanges=t.log[-2:])
    fresh = ctx.calls.schedule(ctx.schedule_body(1), creds=new)
    t.note(fresh)
    ctx.expect("SIM-01", fresh.status == 200, "the new world's credentials do not work",
               expected="200 for a valid schedule request with the loaded world's tokens", exchanges=t.log[-1:])


@check("SIM-02", needs_control=True)
def clock_moves_forward_and_applies_transitions(ctx: Ctx) -> None:
    """PUT /__control/clock: earlier → 400 error body; equal is fine; due transitions shown at once."""
    assert ctx.control is not None
    t0 = ctx.control.now()
    back = ctx.control.set_clock(t0 - timedelta(seconds=1))
    ctx.expect("SIM-02", error_problem(back, {400}) is None,
               "PUT /__control/clock with an earlier time was not refused with 400 and an error body",
               expected="400 {errorCode, errorMessage}", exchanges=[back])
    still = ctx.control.now()
    ctx.expect("SIM-02", still == t0, "a refused earlier clock still moved the clock",
               expected=format_instant(t0), actual=format_instant(still), exchanges=[back])
    # The contract refuses only "an earlier time than the current one", so the same time is accepted.
    same = ctx.control.set_clock(t0)
    ctx.expect("SIM-02", same.status == 200, "PUT /__control/clock with the current time was refused",
               expected="200 (only earlier times are refused)", exchanges=[same])
    t = Tracker(ctx)
    c = t.submit(ctx.schedule_body(2))[1]
    if c is None:
        ctx.skip("SIM-02", "the target refused a valid schedule request, so no transition to watch")
        return
    for instant in (t0 + timedelta(seconds=1), c.start, c.start + timedelta(days=1)):
        t.note(move_clock(ctx, instant))
        _, shown = t.get(c)
        # No instant of the contract's timing lies in (instant, instant+0]: re-sending the same time changes
        # nothing for a target that applied every due transition before answering the first time.
        t.note(move_clock(ctx, instant))
        _, again = t.get(c)
        ctx.expect("SIM-02", shown == again,
                   f"a transition due by {format_instant(instant)} showed only after a later clock call",
                   expected=f"status {again} already right after the first PUT /__control/clock",
                   actual=f"status {shown}", exchanges=t.log[-4:])
        due = "InProgress" if instant == c.start else "Finished" if instant > c.start else None
        if due and again != due and again in ("Queued", "InProgress"):
            # Nothing is due in (instant, instant+1s]: a status that catches up there was late.
            t.note(move_clock(ctx, instant + timedelta(seconds=1)))
            _, late = t.get(c)
            ctx.expect("SIM-02", late != due, f"the transition to {due} due at {format_instant(instant)} "
                       "was applied only by the next clock move", expected=f"{due} right after the move",
                       actual=f"{again}, then {late} one second later", exchanges=t.log[-6:])


def _statuses_run(ctx: Ctx) -> tuple[list[str], list[Exchange]]:
    """One scripted run from a fresh world: every answer's status code and campaign status, in order."""
    ctx.fresh_world()
    assert ctx.control is not None
    t = Tracker(ctx)
    out: list[str] = []
    a = t.submit(ctx.schedule_body(2))[1]
    b = t.submit(ctx.schedule_body(0, deviceList=ctx.devices(1, reachable=False)))[1]
    if a is None or b is None:
        return ["schedule refused"], t.log
    t0 = ctx.control.now()
    for instant in (t0 + timedelta(seconds=1), a.start - timedelta(seconds=1), a.start,
                    a.start + timedelta(hours=12), a.start + timedelta(days=1), a.start + timedelta(days=2)):
        move_clock(ctx, instant)
        for label, c in (("a", a), ("b", b)):
            ex, status = t.get(c)
            items = sorted(item_statuses(ex).values())
            out.append(f"{format_instant(instant)} {label}: {ex.status} {status} {items}")
    return out, t.log


@check("SIM-03", needs_control=True, fresh_world=False)
def same_world_same_statuses(ctx: Ctx) -> None:
    """The same world and the same requests, twice: the same statuses (ids aside)."""
    first, _ = _statuses_run(ctx)
    second, log = _statuses_run(ctx)
    diff = next((i for i, (x, y) in enumerate(zip(first, second, strict=False)) if x != y), None)
    if diff is None and len(first) != len(second):
        diff = min(len(first), len(second))
    ctx.expect("SIM-03", diff is None, "the same world and requests gave different statuses",
               expected=f"step {diff}: {first[diff] if diff is not None and diff < len(first) else '-'}",
               actual=f"second run: {second[diff] if diff is not None and diff < len(second) else '-'}",
               exchanges=log)


@dataclass
class _Tracked:
    campaign: Campaign
    facts: CampaignFacts


class _Oracle:
    """The SIM-04 timing, applied to the campaigns a scenario created (docs/simulator-contract.md#lifecycle-timing)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.t = Tracker(ctx)
        self.items: dict[str, _Tracked] = {}

    def add(self, label: str, body: dict[str, object], *, valid: bool = True, reachable: bool = True) -> None:
        ex, c = self.t.submit(body)
        if c is None:
            if valid:
                self.ctx.fail("SIM-04", f"campaign {label}: a valid schedule request was refused",
                              expected="200", actual=ex.outcome(), exchanges=[ex])
            return  # an invalid one refused at once: POST-04's allowed branch, nothing to time
        self.items[label] = _Tracked(c, CampaignFacts(start_date=datetime.fromisoformat(
            str(body["startDate"])).date(), valid=valid, any_reachable=reachable, decided=False))

    def move(self, now: datetime) -> None:
        assert self.ctx.control is not None
        forward = now > self.ctx.control.now()
        self.t.note(move_clock(self.ctx, now))
        if forward:
            for item in self.items.values():
                item.facts = replace(item.facts, decided=True)
        self.observe(now, f"after PUT /__control/clock {format_instant(now)}")

    def cancel(self, label: str) -> None:
        item = self.items.get(label)
        if item is None:
            return
        c = item.campaign
        ex = self.ctx.calls.cancel(c.account, c.id, creds=c.cred)
        self.t.note(ex)
        if ex.status == 200:
            item.facts = replace(item.facts, cancelled=True)

    def observe(self, now: datetime, when: str) -> None:
        for label, item in self.items.items():
            ex, status = self.t.get(item.campaign)
            want = expected_status(item.facts, now)
            if want is None:
                ok = status in CANCELLED_OK if status is not None else error_problem(ex) is None
                expected = "a 4xx error response or a terminal failed status (cancelled: never starts)"
            else:
                ok = status == want
                expected = f"status {want.value}"
            self.ctx.expect("SIM-04", ok, f"campaign {label} {when}: not what the contract's timing prescribes",
                            expected=expected, actual=f"status {status}" if status is not None else ex.outcome(),
                            exchanges=self.t.log[-10:])


@check("SIM-04", needs_control=True)
def timing_follows_the_contract(ctx: Ctx) -> None:
    """Every instant of the contract's timing, one move at a time, then all of them in one move."""
    assert ctx.control is not None
    o = _Oracle(ctx)
    today = ctx.today.isoformat()
    o.add("valid", ctx.schedule_body(2))
    o.add("unreachable", ctx.schedule_body(0, deviceList=ctx.devices(2, reachable=False)), reachable=False)
    o.add("invalid", ctx.schedule_body(0, deviceList=[*ctx.devices(1), *ctx.misfits(1)]), valid=False)
    o.add("starts-today", ctx.schedule_body(1, startDate=today))
    o.add("mixed", ctx.schedule_body(0, deviceList=[*ctx.devices(1), *ctx.devices(1, reachable=False)]))
    o.add("cancelled", ctx.schedule_body(1))
    t0 = ctx.control.now()
    o.observe(t0, "before any clock move")
    o.move(t0)  # the same time is not a forward move: nothing is decided yet
    o.move(t0 + timedelta(seconds=1))
    o.cancel("cancelled")
    start = datetime.fromisoformat(f"{ctx.start_date().isoformat()}T00:00:00+00:00")
    for instant in (start - timedelta(seconds=1), start, start + timedelta(days=1, seconds=-1),
                    start + timedelta(days=1), start + timedelta(days=5)):
        o.move(instant)
    # Several instants in one move: decided, started and finished by a single PUT.
    ctx.fresh_world()
    o2 = _Oracle(ctx)
    o2.add("valid", ctx.schedule_body(2))
    o2.add("unreachable", ctx.schedule_body(0, deviceList=ctx.devices(1, reachable=False)), reachable=False)
    o2.add("starts-today", ctx.schedule_body(1, startDate=ctx.today.isoformat()))
    o2.move(start + timedelta(days=1, hours=1))
