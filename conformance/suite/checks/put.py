"""PUT — adding and removing devices (docs/rules.md, PUT-01 … PUT-07).

Every claim of an answer is verified through GET afterwards: a success item must really have
changed the campaign, a refusal must have changed nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from conformance.spec.rules import Level
from conformance.suite.context import Ctx, NotEnoughDevices
from conformance.suite.http import Exchange
from conformance.suite.oracle import PUT_SUCCESS, error_problem, items_of, reason_of
from conformance.suite.registry import check
from conformance.suite.toolkit import Calls, Campaign, open_campaign


def _result_problems(c: Campaign, ex: Exchange, imeis: list[str], status: str) -> list[str]:
    """PUT-01/02: 200, the upgrade id, the path account, one item with ``status`` per IMEI."""
    data = ex.data
    if ex.status != 200 or not isinstance(data, dict):
        return [f"status {ex.status}"]
    problems = []
    if data.get("id") != c.id:
        problems.append(f"id {data.get('id')!r} instead of {c.id!r}")
    if data.get("accountName") != c.account:
        problems.append(f"accountName {data.get('accountName')!r} instead of {c.account!r}")
    items = items_of(ex)
    got = [str(i.get("deviceId")) for i in items or []]
    if sorted(got) != sorted(imeis):
        problems.append(f"items for {got} instead of one each for {imeis}")
    wrong = [i for i in items or [] if i.get("status") != status]
    if wrong:
        problems.append(f"item {wrong[0]} is not {status}")
    return problems


@check("PUT-01")
def append_adds_devices(ctx: Ctx) -> None:
    """append of fitting devices to an open campaign: AddDeviceSucceed for each, and GET lists them."""
    calls = ctx.calls
    c = open_campaign(calls)
    before, _ = calls.device_ids(c)
    new = ctx.devices(2)
    ex = calls.change(c.account, c.id, {"type": "append", "deviceList": new})
    problems = _result_problems(c, ex, new, "AddDeviceSucceed")
    ctx.expect("PUT-01", not problems, "append of fitting devices did not succeed",
               expected="200, the upgrade id and path account, AddDeviceSucceed for each IMEI",
               actual="; ".join(problems) + f" — {ex.outcome()}", exchanges=[ex])
    after, get = calls.device_ids(c)
    ctx.expect("PUT-01", set(after) == set(before) | set(new), "the campaign does not list the appended devices",
               expected=f"devices {sorted(set(before) | set(new))}", actual=f"{sorted(after)}", exchanges=[ex, get])


#: A black-box run looks for lost appends in rounds of at most this many concurrent writers …
BLACK_BOX_WRITERS = 4
#: … this many rounds (each: append at once, read back; the pool takes the devices back between).
BLACK_BOX_ROUNDS = 3


@check("PUT-01")
def concurrent_appends_are_all_kept(ctx: Ctx) -> None:
    """Appends of one device each, all at once: every one succeeds and GET lists them all (a
    read-modify-write without a lock loses some). Black-box: rounds of 3–4 writers, as many
    devices as the pool lends."""
    if ctx.control is None:
        _concurrent_rounds(ctx)
        return
    calls = ctx.calls
    c = open_campaign(calls)
    try:
        batch = ctx.devices(16)
    except NotEnoughDevices as exc:
        ctx.results.note("PUT-01", f"concurrent appends not tried: {exc}")
        return
    _appends_at_once(ctx, c, batch)


def _appends_at_once(ctx: Ctx, c: Campaign, batch: list[str]) -> bool:
    """One append per device of ``batch``, all at once; True when every one took effect."""
    calls = ctx.calls
    with ThreadPoolExecutor(max_workers=len(batch)) as pool:
        answers = list(pool.map(lambda d: calls.change(c.account, c.id, {"type": "append", "deviceList": [d]}),
                                batch))
    ok = [d for d, a in zip(batch, answers, strict=True) if not _result_problems(c, a, [d], "AddDeviceSucceed")]
    final, get = calls.device_ids(c)
    lost = [d for d in ok if d not in final]
    return ctx.expect("PUT-01", not lost and len(ok) == len(batch), "concurrent appends did not all take effect",
                      expected=f"all {len(batch)} concurrently appended devices AddDeviceSucceed and listed",
                      actual=f"{len(ok)} succeeded; {len(lost)} reported added but missing: {lost}",
                      exchanges=[*answers[:2], get])


def _concurrent_rounds(ctx: Ctx) -> None:
    """Black-box: the shared open campaign, trimmed to one device before each round, then 3–4
    concurrent appends of the devices the pool can lend; the report says how hard it looked."""
    c = open_campaign(ctx.calls)
    rounds: list[int] = []
    for _ in range(BLACK_BOX_ROUNDS):
        ctx.recycle()  # the previous round's devices come back (removed from the campaign, read back)
        try:
            batch = ctx.devices_up_to(BLACK_BOX_WRITERS)
        except NotEnoughDevices as exc:
            ctx.results.note("PUT-01", f"concurrent appends: no device free for another round ({exc})")
            break
        if len(batch) < 2:
            ctx.results.note("PUT-01", "concurrent appends: one device free, which is no race; round not tried")
            break
        rounds.append(len(batch))
        if not _appends_at_once(ctx, c, batch):
            break  # found; more rounds would only repeat it
    looked = (f"{len(rounds)} round(s) of {'/'.join(map(str, rounds))} concurrent writers "
              f"({sum(rounds)} appends) instead of 16 at once" if rounds else "not tried: fewer than 2 devices free")
    if ctx.pool is not None:
        ctx.pool.scaled("PUT-01", f"concurrent appends: {looked}")
    if rounds:
        ctx.results.note("PUT-01", f"concurrent appends (small world): {looked}")
    else:
        ctx.skip("PUT-01", f"concurrent appends {looked}")


@check("PUT-02")
def remove_removes_devices(ctx: Ctx) -> None:
    """remove of campaign devices: RemoveDeviceSucceed for each, and GET no longer lists them."""
    calls = ctx.calls
    c = open_campaign(calls, n=3)
    before, _ = calls.device_ids(c)
    if len(before) < 2:  # keep one device in: an empty campaign is no state to test from
        add = ctx.devices(2)
        calls.change(c.account, c.id, {"type": "append", "deviceList": add})
        before, _ = calls.device_ids(c)
    gone = before[:1]
    ex = calls.change(c.account, c.id, {"type": "remove", "deviceList": gone})
    problems = _result_problems(c, ex, gone, "RemoveDeviceSucceed")
    ctx.expect("PUT-02", not problems, "remove of a campaign device did not succeed",
               expected="200, the upgrade id and path account, RemoveDeviceSucceed for the IMEI",
               actual="; ".join(problems) + f" — {ex.outcome()}", exchanges=[ex])
    after, get = calls.device_ids(c)
    ctx.expect("PUT-02", sorted(after) == sorted(before[1:]), "the campaign still lists the removed device",
               expected=f"devices {sorted(before[1:])}", actual=f"{sorted(after)}", exchanges=[ex, get])


def _per_device_outcome(ctx: Ctx, calls: Calls, c: Campaign, what: str, body: dict[str, Any],
                        bad: str) -> None:
    """PUT-03 for one request whose device ``bad`` has a problem (other devices may be fine)."""
    before, _ = calls.device_ids(c)
    ex = calls.change(c.account, c.id, body)
    after, get = calls.device_ids(c)
    add = body["type"] == "append"
    if ex.status == 400:
        ctx.branch("PUT-03", "whole request refused with 400")
        problem = error_problem(ex, {400})
        ctx.expect("PUT-03", problem is None, f"{what}: the 400 is not an error response",
                   expected="a 400 error response", actual=problem, exchanges=[ex])
        ctx.expect("PUT-03", Counter(after) == Counter(before), f"{what}: refused with 400, yet the campaign changed",
                   expected=f"devices unchanged {sorted(before)}", actual=f"{sorted(after)}", exchanges=[ex, get])
        return
    items = items_of(ex)
    if ex.status != 200 or items is None:
        ctx.expect("PUT-03", False, f"{what}: neither a 400 nor a per-device answer",
                   expected="a 400 error response, or 200 with the device's item marked failed", exchanges=[ex])
        return
    ctx.branch("PUT-03", "failed item in a 200")
    bad_items = [i for i in items if i.get("deviceId") == bad]
    ctx.expect("PUT-03", len(bad_items) == 1 and bad_items[0].get("status") not in PUT_SUCCESS
               and reason_of(bad_items[0]) is not None,
               f"{what}: the device's item is not marked failed with a reason",
               expected=f"one item for {bad} with a failure status and a Reason", exchanges=[ex])
    expected = Counter(before)
    for item in items:
        device, status = str(item.get("deviceId")), item.get("status")
        if status == "AddDeviceSucceed" and add:
            expected[device] = max(expected[device], 1)
        elif status == "RemoveDeviceSucceed" and not add:
            expected.pop(device, None)
    if bad in expected and add and Counter(before)[bad] == 1:
        expected[bad] = 1  # already in: still once, not twice
    ctx.expect("PUT-03", Counter(after) == +expected,
               f"{what}: the campaign's devices do not match the per-device answers",
               expected=f"devices {sorted((+expected).elements())}", actual=f"{sorted(after)}",
               exchanges=[ex, get])


@check("PUT-03")
def per_device_problems_fail_honestly(ctx: Ctx) -> None:
    """A device already in / not in the campaign, unknown, or of the wrong model or version: a
    whole-request 400, or a failed item — never a success for a device that did not change."""
    calls = ctx.calls
    c = open_campaign(calls)
    inside, _ = calls.device_ids(c)
    outside = ctx.devices(1)[0]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("append of a device already in the campaign", {"type": "append", "deviceList": inside[:1]}, inside[0]),
        ("remove of a device not in the campaign", {"type": "remove", "deviceList": [outside]}, outside),
        ("append of an unknown IMEI", {"type": "append", "deviceList": ["359999999999998"]}, "359999999999998"),
    ]
    fw = ctx.firmware
    for what, device in (
        ("append of a device of another model",
         next((d.imei for d in ctx.account.devices if d.model != fw.model and d.imei not in ctx.used), None)),
        ("append of a device at another version",
         next((d.imei for d in ctx.account.devices if d.model == fw.model and d.firmware != fw.from_version
               and d.imei not in ctx.used), None)),
    ):
        if device is None:
            ctx.results.note("PUT-03", f"{what}: not tried, the world has no such device")
            continue
        ctx.used.add(device)
        cases.append((what, {"type": "append", "deviceList": [device]}, device))
    try:
        good = ctx.devices(1)
    except NotEnoughDevices as exc:
        ctx.skip("PUT-03", f"append of a good device with an unknown one: not tried, {exc}")
    else:
        # Mixed: one good device with a bad one; success for the good one must be real.
        cases.append(("append of a good device with an unknown one",
                      {"type": "append", "deviceList": [*good, "359999999999997"]}, "359999999999997"))
    for what, body, bad in cases:
        _per_device_outcome(ctx, calls, c, what, body, bad)


@check("PUT-04", needs_control=True)
def started_campaigns_cannot_change(ctx: Ctx) -> None:
    """append/remove once the campaign is InProgress, and once it is Finished: 400, no effect."""
    assert ctx.control is not None
    calls = ctx.calls
    c = calls.create(n=2)
    ctx.control.advance(timedelta(minutes=1))
    for label, at in (("started", c.start + timedelta(hours=1)), ("terminal", c.start + timedelta(days=2))):
        ctx.control.set_clock(at)
        before, status, _ = calls.look(c)
        if status not in ("InProgress", "Finished", "UpgradeFailed", "RequestFailed") or before is None:
            ctx.results.note("PUT-04", f"the campaign was {status} when expected {label}; sub-case not tried")
            continue
        for body in ({"type": "append", "deviceList": ctx.devices(1)},
                     {"type": "remove", "deviceList": before[:1]}):
            ex = calls.change(c.account, c.id, body)
            problem = error_problem(ex, {400})
            ctx.expect("PUT-04", problem is None, f"{body['type']} on a {status} campaign was not refused",
                       expected="a 400 error response", actual=problem, exchanges=[ex])
        after, _, get = calls.look(c)
        ctx.expect("PUT-04", after is not None and sorted(after) == sorted(before),
                   f"a refused change of a {status} campaign changed it",
                   expected=f"devices unchanged {sorted(before)}", actual=f"{after}", exchanges=[get])


@check("PUT-05")
def unknown_or_foreign_upgrade_id_is_refused(ctx: Ctx) -> None:
    """An upgradeId never issued, or issued to another account: 4xx error response (SHOULD be 400),
    no effect."""
    calls = ctx.calls
    mine = open_campaign(calls)
    before, _ = calls.device_ids(mine)
    targets: list[tuple[str, str]] = [("an upgradeId never issued", str(uuid.uuid4()))]
    beta = ctx.beta
    if beta is not None:
        theirs = open_campaign(calls, cred=beta)
        targets.append(("an upgradeId of another account", theirs.id))
    else:
        ctx.results.note("PUT-05", "foreign upgradeId not tried: the world has no second credential")
    for what, upgrade_id in targets:
        for body in ({"type": "append", "deviceList": ctx.devices(1)},
                     {"type": "remove", "deviceList": before[:1]}):
            ex = calls.change(mine.account, upgrade_id, body)
            problem = error_problem(ex)
            if not ctx.expect("PUT-05", problem is None, f"{body['type']} with {what} was not refused",
                              expected="a 4xx error response", actual=problem, exchanges=[ex]):
                continue
            if ex.status == 400:
                ctx.branch("PUT-05", "400")
            else:
                ctx.branch("PUT-05", f"other 4xx ({ex.status})")
                ctx.fail("PUT-05", f"{body['type']} with {what} got {ex.status}", expected="400 (documented)",
                         actual=ex.outcome(), exchanges=[ex], severity=Level.SHOULD)
    after, get = calls.device_ids(mine)
    ctx.expect("PUT-05", sorted(after) == sorted(before), "a refused PUT changed one's own campaign",
               expected=f"devices unchanged {sorted(before)}", actual=f"{sorted(after)}", exchanges=[get])


@check("PUT-06")
def structurally_invalid_changes_get_400(ctx: Ctx) -> None:
    """type not append/remove; deviceList missing, empty or not an array of strings; not JSON: 400,
    no effect."""
    calls = ctx.calls
    c = open_campaign(calls)
    before, _ = calls.device_ids(c)
    fresh = ctx.devices(1)
    cases: list[tuple[str, Any]] = [
        ("type add", {"type": "add", "deviceList": fresh}),
        ("type APPEND", {"type": "APPEND", "deviceList": fresh}),
        ("type empty", {"type": "", "deviceList": fresh}),
        ("type missing", {"deviceList": fresh}),
        ("type a number", {"type": 1, "deviceList": fresh}),
        ("deviceList missing", {"type": "append"}),
        ("deviceList empty", {"type": "append", "deviceList": []}),
        ("deviceList a string", {"type": "append", "deviceList": fresh[0]}),
        ("deviceList of numbers", {"type": "append", "deviceList": [int(fresh[0]) if fresh[0].isdigit() else 1]}),
        ("deviceList with null", {"type": "remove", "deviceList": [None]}),
        ("remove with deviceList an object", {"type": "remove", "deviceList": {"0": before[0] if before else "1"}}),
    ]
    for what, body in cases:
        ex = calls.change(c.account, c.id, body)
        problem = error_problem(ex, {400})
        ctx.expect("PUT-06", problem is None, f"a PUT with {what} was not refused",
                   expected="a 400 error response", actual=problem, exchanges=[ex])
    ex = calls.change(c.account, c.id, raw=b"type=append&deviceList=" + fresh[0].encode())
    ctx.expect("PUT-06", error_problem(ex, {400}) is None, "a PUT body that is not JSON was not refused",
               expected="a 400 error response", actual=error_problem(ex, {400}), exchanges=[ex])
    after, get = calls.device_ids(c)
    ctx.expect("PUT-06", sorted(after) == sorted(before), "a refused PUT changed the campaign",
               expected=f"devices unchanged {sorted(before)}", actual=f"{sorted(after)}", exchanges=[get])


@check("PUT-07")
def result_items_carry_reason(ctx: Ctx) -> None:
    """PUT result items give their reason under ``Reason`` (capital R) — judged by ``ctx.calls`` on
    every PUT answer with items; here a success and a per-device failure make sure there are some
    (a target that refuses both with 400 leaves PUT-07 unexercised, and the report says so)."""
    calls = ctx.calls
    c = open_campaign(calls)
    inside, _ = calls.device_ids(c)
    calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1)})
    calls.change(c.account, c.id, {"type": "append", "deviceList": inside[:1]})
