"""LIFE-01..06 and PUT-04: deterministic lifecycle scenarios, driven by the control plane's clock.

Every scenario loads a fresh world (the runner does, and a simulator may have upgraded devices'
firmware in an earlier one), schedules a few campaigns at once, and moves the clock through the
instants the contract's timing makes interesting, observing every campaign after every move through one
``Tracker`` (LIFE-01/02 are judged on every status the suite ever sees). The exact timing is SIM-04's
business (checks/sim.py); here only what LIFE allows is required, so that a target with a different
but lawful timing is not blamed under LIFE.

Targets without a control plane get what can be done without a clock: field echo and device lists
(LIFE-04), cancelling an open campaign (LIFE-06), and statuses observed by polling (LIFE-01/02).
Every request goes through ``ctx.calls``, so each answer here is judged for WIRE-01/02 too.
"""

from __future__ import annotations

import time
from datetime import timedelta

from conformance.spec.lifecycle import DEFAULT_DURATION, OPEN, STARTED, TERMINAL, Status, midnight
from conformance.suite.context import Ctx
from conformance.suite.http import Exchange
from conformance.suite.oracle import device_ids, error_problem, item_statuses
from conformance.suite.registry import check
from conformance.suite.toolkit import NO_GET, Campaign, Tracker, move_clock

S = Status
TERMINAL_NAMES = frozenset(s.value for s in TERMINAL)
#: A cancelled campaign "never starts": 4xx, or a terminal status that does not mean it ran.
CANCELLED_OK = frozenset({S.REQUEST_FAILED.value, S.UPGRADE_FAILED.value})


def _invalid_body(ctx: Ctx) -> dict[str, object]:
    """POST-04: semantically invalid (a device of another model/version next to a fitting one)."""
    return ctx.schedule_body(1, deviceList=[*ctx.devices(1), *ctx.misfits(1)])


@check("LIFE-01", "LIFE-02", "LIFE-03", needs_control=True)
def every_edge_in_order(ctx: Ctx) -> None:
    """Drives campaigns over every LIFE-02 edge the contract's timing can reach, one move at a time."""
    t = Tracker(ctx)
    _, ok = t.submit(ctx.schedule_body(2))
    _, dead = t.submit(ctx.schedule_body(0, deviceList=ctx.devices(2, reachable=False)))
    _, bad = t.submit(_invalid_body(ctx))
    if ok is None or dead is None:
        ctx.skip("LIFE-02", "the target refused valid schedule requests (POST-01), so no campaign to drive")
        return
    if bad is None:
        ctx.results.note("LIFE-02", "RequestPending → RequestFailed not reachable: the target refuses "
                         "semantically invalid requests at once (an allowed POST-04 branch)")
    ctx.results.note("LIFE-02", "InProgress → UpgradeFailed not reachable under the contract's timing "
                     "(an InProgress campaign always ends Finished one day after its start)")
    campaigns = [c for c in (ok, dead, bad) if c is not None]
    assert ctx.control is not None
    start = ok.start
    # Each stop is one instant the contract's timing names; between them, the campaign must not have started.
    stops = [
        (ctx.control.now() + timedelta(seconds=1), False),  # decided: Queued or RequestFailed
        (start - timedelta(seconds=1), False),  # LIFE-03: one second before startDate
        (start, True),  # exactly startDate 00:00:00Z: may start now
        (start + timedelta(hours=12), True),
        (start + timedelta(days=1), True),  # InProgress → Finished
        (start + timedelta(days=2), True),  # a day later, terminal must not change
        (start + timedelta(days=60), True),  # far ahead: terminal states stay as they are
    ]
    for instant, may_start in stops:
        move_clock(ctx, instant)
        for c in campaigns:
            _, status = t.get(c)
            if not may_start:
                ctx.expect("LIFE-03", status not in (S.IN_PROGRESS, S.FINISHED),
                           f"campaign is {status} before its startDate {c.body['startDate']} 00:00:00Z",
                           expected="RequestPending, Queued or a failure status", actual=str(status),
                           exchanges=t.log[-8:])
            if c is bad and status is not None:
                ctx.expect("LIFE-02", status not in (S.QUEUED, S.IN_PROGRESS, S.FINISHED),
                           "a semantically invalid campaign was scheduled with its offending devices",
                           expected="RequestPending or RequestFailed", actual=status, exchanges=t.log[-8:])


@check("LIFE-01", "LIFE-04")
def details_reflect_creation_and_changes(ctx: Ctx) -> None:
    """GET echoes what the campaign was created with and follows every successful append/remove."""
    t = Tracker(ctx)
    body = ctx.schedule_body(2, endDate=(ctx.start_date() + timedelta(days=2)).isoformat())
    created, c = t.submit(body)
    if c is None:
        ctx.skip("LIFE-04", f"the target refused a valid schedule request: {created.outcome()}")
        return
    ex, _ = t.get(c)
    if ex.status in NO_GET:
        _without_get(ctx, c, ex)
        return
    _expect_echo(ctx, t, c, ex)
    expected = set(c.devices)
    added = ctx.devices_up_to(2)  # black-box: one when the pool is short, rather than nothing
    put = ctx.calls.change(c.account, c.id, {"type": "append", "deviceList": added}, creds=c.cred)
    t.note(put)
    items = item_statuses(put)
    if put.status == 200:
        expected |= {d for d in added if items.get(d) == "AddDeviceSucceed"}
    _expect_devices(ctx, t, c, expected, "after an append")
    gone = c.devices[0]
    put = ctx.calls.change(c.account, c.id, {"type": "remove", "deviceList": [gone]}, creds=c.cred)
    t.note(put)
    # Only RemoveDeviceSucceed is named by the rules; any non-failure item counts, so that LIFE-04
    # never blames GET for a removal the target may have made under another success name.
    if put.status == 200 and "fail" not in item_statuses(put).get(gone, "fail").lower():
        expected.discard(gone)
    _expect_devices(ctx, t, c, expected, "after a remove")


def _without_get(ctx: Ctx, c: Campaign, ex: Exchange) -> None:
    """No GET details: only PUT outcomes say anything about the campaign; the rest is skipped."""
    why = (f"GET of a campaign just created answered {ex.status}: the target has no GET details, so "
           "statuses and device lists cannot be observed")
    for rule_id in ("LIFE-01", "LIFE-02", "LIFE-04"):
        ctx.skip(rule_id, why)
    put = ctx.calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1)}, creds=c.cred)
    if put.status == 200:
        ctx.results.note("LIFE-04", "inferred from PUT: an append to the new campaign succeeded, so it was open")


def _expect_echo(ctx: Ctx, t: Tracker, c: Campaign, ex: Exchange) -> None:
    data = ex.data if isinstance(ex.data, dict) else {}
    fw = ctx.account.find_firmware(str(c.body["firmwareName"]))
    want = {"id": c.id, "accountName": c.account, "firmwareName": c.body["firmwareName"],
            "firmwareTo": fw.to_version if fw else c.body.get("firmwareTo"), "startDate": c.body["startDate"]}
    for key, value in want.items():
        ctx.expect("LIFE-04", data.get(key) == value, f"GET details {key} differs from creation",
                   expected=f"{key} = {value!r}", actual=f"{key} = {data.get(key)!r}", exchanges=t.log[-4:])


def _expect_devices(ctx: Ctx, t: Tracker, c: Campaign, expected: set[str], when: str) -> None:
    ex, _ = t.get(c)
    got = device_ids(ex)
    ctx.expect("LIFE-04", got is not None and set(got) == expected,
               f"GET deviceList {when} does not match the campaign's devices",
               expected=f"exactly {sorted(expected)}", actual=f"{sorted(got) if got is not None else ex.outcome()}",
               exchanges=t.log[-6:])


@check("LIFE-05", needs_control=True)
def campaigns_end_by_their_deadline(ctx: Ctx) -> None:
    """SHOULD: terminal past the end of endDate (or startDate + DEFAULT_DURATION without one)."""
    t = Tracker(ctx)
    start = ctx.start_date()
    end = start + timedelta(days=2)
    with_end = t.submit(ctx.schedule_body(2, endDate=end.isoformat()))[1]
    no_end = t.submit(ctx.schedule_body(2, endDate=None))[1]
    # Devices that never answer keep a campaign busy; it should still be over by its deadline.
    mixed = t.submit(ctx.schedule_body(0, deviceList=[*ctx.devices(1), *ctx.devices(1, reachable=False)],
                                       endDate=None))[1]
    ends = [(c, deadline) for c, deadline in ((with_end, end + timedelta(days=1)),
                                               (no_end, start + DEFAULT_DURATION),
                                               (mixed, start + DEFAULT_DURATION)) if c is not None]
    if not ends:
        ctx.skip("LIFE-05", "the target refused valid schedule requests, so no campaign to watch")
        return
    assert ctx.control is not None
    t0 = ctx.control.now()
    for instant in (t0 + timedelta(seconds=1), ends[0][0].start + timedelta(hours=1)):
        move_clock(ctx, instant)
        for c, _ in ends:
            t.get(c)
    without_end = f"startDate + {DEFAULT_DURATION.days} days"
    for c, deadline in sorted(ends, key=lambda e: e[1]):
        move_clock(ctx, midnight(deadline) + timedelta(seconds=1))
        t.expect_status("LIFE-05", c, TERMINAL_NAMES,
                        f"campaign still open or running past its deadline {deadline.isoformat()} 00:00:00Z "
                        f"({'endDate ' + str(c.body['endDate']) if 'endDate' in c.body else without_end})")


@check("LIFE-06")
def cancel_open_campaign(ctx: Ctx) -> None:
    """DELETE of an open campaign: 200 {"success": true}; it never starts; PUT on it is a 4xx."""
    t = Tracker(ctx)
    created, c = t.submit(ctx.schedule_body(2))
    if c is None:
        ctx.skip("LIFE-06", f"the target refused a valid schedule request: {created.outcome()}")
        return
    if ctx.control is not None:
        move_clock(ctx, ctx.control.now() + timedelta(seconds=1))  # decided: Queued, still open
        t.get(c)
    ex = ctx.calls.cancel(c.account, c.id, creds=c.cred)
    t.note(ex)
    data = ex.data
    if not ctx.expect("LIFE-06", ex.status == 200 and isinstance(data, dict) and data.get("success") is True,
                      "DELETE of an open campaign did not answer 200 {\"success\": true}",
                      expected='200 {"success": true}', exchanges=t.log):
        return
    _expect_never_starts(ctx, t, c, "right after DELETE")
    put = ctx.calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1)}, creds=c.cred)
    t.note(put)
    ctx.expect("LIFE-06", error_problem(put) is None,
               "PUT on a cancelled campaign was not refused", expected="a 4xx error response", exchanges=t.log)
    if ctx.control is not None:
        for instant in (c.start, c.start + timedelta(days=2)):
            move_clock(ctx, instant)
            _expect_never_starts(ctx, t, c, f"at {instant.isoformat()} after DELETE")


def _expect_never_starts(ctx: Ctx, t: Tracker, c: Campaign, when: str) -> None:
    ex, status = t.get(c)
    if status is None:
        ok = error_problem(ex) is None
        if ok:
            ctx.branch("LIFE-06", "cancelled campaign answers 4xx")
    else:
        ok = status in CANCELLED_OK
        if ok:
            ctx.branch("LIFE-06", "cancelled campaign shows a terminal failed status")
    ctx.expect("LIFE-06", ok, f"a cancelled campaign {when} is neither gone nor terminal-not-run",
               expected="a 4xx error response, or RequestFailed/UpgradeFailed",
               actual=f"status {status}" if status is not None else ex.outcome(), exchanges=t.log[-8:])


@check("LIFE-06", "PUT-04", needs_control=True)
def started_and_terminal_campaigns_are_frozen(ctx: Ctx) -> None:
    """DELETE, append and remove on started or terminal campaigns: 400 error response, no effect."""
    t = Tracker(ctx)
    runs = t.submit(ctx.schedule_body(3))[1]
    dead = t.submit(ctx.schedule_body(0, deviceList=ctx.devices(2, reachable=False)))[1]
    if runs is None or dead is None:
        ctx.skip("PUT-04", "the target refused valid schedule requests, so no campaign to start")
        return
    assert ctx.control is not None
    move_clock(ctx, ctx.control.now() + timedelta(seconds=1))
    move_clock(ctx, runs.start + timedelta(hours=1))
    for c, when in ((runs, "InProgress"), (dead, "UpgradeFailed")):
        _frozen(ctx, t, c, when)
    move_clock(ctx, runs.start + timedelta(days=1, hours=1))
    _frozen(ctx, t, runs, "Finished")


def _frozen(ctx: Ctx, t: Tracker, c: Campaign, label: str) -> None:
    ex, before = t.get(c)
    if before not in STARTED and before not in TERMINAL_NAMES:
        ctx.results.note("PUT-04", f"a campaign meant to be {label} was {before}; not used for PUT-04/LIFE-06")
        return
    devices = device_ids(ex) or []
    for body in ({"type": "append", "deviceList": ctx.devices(1)},
                 {"type": "remove", "deviceList": devices[:1] or c.devices[:1]}):
        put = ctx.calls.change(c.account, c.id, body, creds=c.cred)
        t.note(put)
        ctx.expect("PUT-04", error_problem(put, {400}) is None,
                   f"{body['type']} on a campaign in {before} was not refused with a 400 error response",
                   expected="400 error response", exchanges=t.log[-4:])
    gone = ctx.calls.cancel(c.account, c.id, creds=c.cred)
    t.note(gone)
    ctx.expect("LIFE-06", error_problem(gone, {400}) is None,
               f"DELETE of a campaign in {before} was not refused with a 400 error response",
               expected="400 error response", exchanges=t.log[-4:])
    after_ex, after = t.get(c)
    ctx.expect("PUT-04", sorted(device_ids(after_ex) or []) == sorted(devices),
               f"refused changes to a campaign in {before} changed its device list",
               expected=f"deviceList {sorted(devices)}", actual=f"{device_ids(after_ex)}", exchanges=t.log[-6:])
    # No clock move in between: any change of status is the refused DELETE's doing.
    ctx.expect("LIFE-06", after == before, f"DELETE of a campaign in {before} had an effect",
               expected=f"status still {before}", actual=f"status {after}", exchanges=t.log[-6:])


@check("LIFE-01", "LIFE-02")
def observed_by_polling(ctx: Ctx) -> None:
    """Without a control plane: watch a new campaign by polling GET and judge every change seen."""
    if ctx.control is not None:
        return  # the clock-driven scenarios see far more; polling a frozen clock shows nothing
    t = Tracker(ctx)
    created, c = t.submit(ctx.schedule_body(1))
    if c is None:
        ctx.skip("LIFE-01", f"the target refused a valid schedule request: {created.outcome()}")
        return
    t0 = time.monotonic()
    total = ctx.poll_total()
    deadline = t0 + total
    seen: list[str] = []
    while True:
        ex, status = t.get(c)
        if status is None:
            if ex.status in NO_GET and not seen:
                for rule_id in ("LIFE-01", "LIFE-02"):
                    ctx.skip(rule_id, f"GET of a campaign just created answered {ex.status}: no statuses to watch")
            break
        if not seen or seen[-1] != status:
            seen.append(status)
        # Decided: nothing more happens before its startDate, 30+ days ahead.
        if status != S.REQUEST_PENDING.value or time.monotonic() >= deadline:
            break
        ctx.waiting(f"campaign still RequestPending after {time.monotonic() - t0:.0f} s "
                    f"(up to {total:g} s, --poll-total)")
        time.sleep(min(ctx.settings.poll_interval, max(0.0, deadline - time.monotonic())))
    if seen and seen[-1] == S.REQUEST_PENDING.value:
        ctx.undecided()
    if len(seen) <= 1:  # a change seen was judged under LIFE-02 by the Tracker as it was seen
        ctx.skip("LIFE-02", f"polling saw no status change (seen: {', '.join(seen) or 'nothing'}, watched up to "
                 f"{total:g} s or until decided); the edges and terminal stability need the control plane's clock")
    if seen and seen[-1] in OPEN:
        ctx.results.note("LIFE-01", f"statuses seen by polling: {' → '.join(seen)}")
