"""POST — scheduling an upgrade (docs/rules.md, POST-01 … POST-05)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from conformance.suite.context import BudgetExhausted, Ctx, NotEnoughDevices
from conformance.suite.http import Exchange
from conformance.suite.oracle import error_problem, items_of, schedule_answer_problems
from conformance.suite.registry import check
from conformance.suite.toolkit import Calls, Campaign


def _faithful(ctx: Ctx, body: dict[str, Any], ex: Exchange) -> bool:
    """POST-01: 200 and a FirmwareUpgrade that says exactly what was asked, RequestPending (the
    judgement the cassette judge makes too, plus the firmware's toVersion the world tells)."""
    fw = ctx.account.find_firmware(str(body.get("firmwareName")))
    problems = schedule_answer_problems(body, ex, firmware_to=fw.to_version if fw else None)
    return ctx.expect("POST-01", not problems, "a valid schedule request was not accepted faithfully",
                      expected="200, a UUID id, the request's fields, firmwareTo of the firmware, "
                               "RequestPending, one RequestPending item per requested IMEI",
                      actual="; ".join(problems) + f" — {ex.outcome()}", exchanges=[ex])


@check("POST-01", "POST-02")
def valid_requests_are_accepted_faithfully(ctx: Ctx) -> None:
    """Valid requests — as the SDKs send them (endDate, firmwareTo) and minimal — get a faithful
    RequestPending FirmwareUpgrade, each with a new id (also for an identical request sent again)."""
    calls = ctx.calls
    full = ctx.schedule_body(2, endDate=(ctx.start_date() + timedelta(days=4)).isoformat())
    minimal = ctx.schedule_body(1, endDate=None, firmwareTo=None)
    _faithful(ctx, full, calls.schedule(full))
    _faithful(ctx, minimal, calls.schedule(minimal))
    # The same request twice: an id derived from the request would repeat (POST-02 is judged by
    # Calls on every accepted POST). Black-box: the first campaign is cancelled first, so that its
    # devices are never in two open campaigns.
    ctx.recycle()
    again = calls.schedule(full)
    if again.status == 200:
        _faithful(ctx, full, again)


@check("POST-03")
def structurally_invalid_requests_get_400(ctx: Ctx) -> None:
    """Missing required fields, wrong JSON types, an empty deviceList, dates that are not YYYY-MM-DD:
    a 400 error response and no upgrade."""
    calls = ctx.calls
    good = ctx.schedule_body(1, endDate=(ctx.start_date() + timedelta(days=2)).isoformat())
    cases: list[tuple[str, dict[str, Any]]] = [
        (f"no {k}", {**{x: v for x, v in good.items() if x != k}})
        for k in ("accountName", "firmwareName", "startDate", "deviceList")
    ]
    cases += [
        ("accountName a number", {**good, "accountName": 123456}),
        ("firmwareName a list", {**good, "firmwareName": [good["firmwareName"]]}),
        ("firmwareTo a number", {**good, "firmwareTo": 2}),
        ("startDate a number", {**good, "startDate": 20260401}),
        ("endDate a boolean", {**good, "endDate": True}),
        ("deviceList a string", {**good, "deviceList": good["deviceList"][0]}),
        ("deviceList of numbers", {**good, "deviceList": [int(good["deviceList"][0])]
                                   if good["deviceList"][0].isdigit() else [1]}),
        ("deviceList with null", {**good, "deviceList": [None]}),
        ("deviceList an object", {**good, "deviceList": {"0": good["deviceList"][0]}}),
        ("an empty deviceList", {**good, "deviceList": []}),
        ("startDate with slashes", {**good, "startDate": good["startDate"].replace("-", "/")}),
        ("startDate day-first", {**good, "startDate": "-".join(reversed(good["startDate"].split("-")))}),
        ("startDate a date-time", {**good, "startDate": good["startDate"] + "T00:00:00Z"}),
        ("startDate month 13", {**good, "startDate": good["startDate"][:5] + "13-01"}),
        ("startDate empty", {**good, "startDate": ""}),
        ("endDate not a date", {**good, "endDate": "next week"}),
    ]
    for what, body in cases:
        ex = calls.schedule(body)
        problem = error_problem(ex, {400})
        accepted = isinstance(ex.data, dict) and "id" in ex.data
        ctx.expect("POST-03", problem is None and not accepted, f"a request with {what} was not refused",
                   expected="a 400 error response and no upgrade id", actual=problem, exchanges=[ex])
    if ctx.control is not None:
        # INFO only: a startDate before today is neither valid nor invalid (docs/rules.md#terms).
        past = ctx.schedule_body(1, startDate=(ctx.today - timedelta(days=1)).isoformat())
        ex = calls.schedule(past)
        verdict = "accepted" if ex.status == 200 else f"refused ({ex.status})"
        ctx.results.note("POST-03", f"a startDate before today was {verdict} (either is allowed)")


_Case = tuple[str, Callable[[], tuple[dict[str, Any], list[str]]]]


def _semantic_cases(ctx: Ctx) -> list[_Case]:
    """(what, a function building (body, offending devices)). Built one by one, as the pool lends
    devices: a black-box run sends them in rounds (each may hold its devices until decided)."""
    start = ctx.start_date()
    fake = "359999999999999"

    def with_body(n: int = 1, offending: list[str] | None = None, **overrides: Any,
                  ) -> Callable[[], tuple[dict[str, Any], list[str]]]:
        def build() -> tuple[dict[str, Any], list[str]]:
            body = ctx.schedule_body(n, **overrides)
            return body, offending if offending is not None else list(body["deviceList"])
        return build

    def duplicates() -> tuple[dict[str, Any], list[str]]:
        dup = ctx.devices(1)
        return ctx.schedule_body(0, deviceList=dup * 2), dup

    def misfit(which: str) -> Callable[[], tuple[dict[str, Any], list[str]]]:
        def build() -> tuple[dict[str, Any], list[str]]:
            device = dict(_misfit_kinds(ctx, which)).get(which)
            if device is None:
                raise NotEnoughDevices(f"{which}: the world has no such device free")
            return {**ctx.schedule_body(0, deviceList=[device]), "firmwareName": ctx.firmware.name}, [device]
        return build

    return [
        ("an unknown IMEI", with_body(0, [fake], deviceList=[fake])),
        ("endDate before startDate", with_body(1, endDate=(start - timedelta(days=1)).isoformat())),
        ("a malformed IMEI", with_body(0, ["12AB"], deviceList=["12AB"])),
        ("an unknown firmware", with_body(1, firmwareName="FOTA_No_Such_Firmware_00To01", firmwareTo=None)),
        ("a mismatching firmwareTo", with_body(1, firmwareTo="VerizonFirmwareVersion-99")),
        ("duplicate IMEIs", duplicates),
        ("a device of another model", misfit("a device of another model")),
        ("a device at another firmware version", misfit("a device at another firmware version")),
    ]


def _misfit_kinds(ctx: Ctx, only: str | None = None) -> list[tuple[str, str]]:
    """One device of another model and one at another version (where the world has them)."""
    fw = ctx.firmware
    out: list[tuple[str, str]] = []
    for what, test in (("a device of another model", lambda d: (d.make, d.model) != (fw.make, fw.model)),
                       ("a device at another firmware version",
                        lambda d: (d.make, d.model) == (fw.make, fw.model) and d.firmware != fw.from_version)):
        if only is not None and what != only:
            continue
        pool = ctx.pool
        device = next((d.imei for d in ctx.account.devices if test(d) and d.imei not in ctx.used
                       and (pool is None or pool.take([d.imei], 1, ctx.check))), None)
        if device is not None:
            ctx.used.add(device)
            out.append((what, device))
    return out


@check("POST-04")
def semantically_invalid_requests_never_start(ctx: Ctx) -> None:
    """Unknown firmware or IMEI, misfit devices, duplicates, endDate < startDate, a wrong firmwareTo:
    refused at once (400, no upgrade), or accepted RequestPending and RequestFailed before it starts."""
    calls = ctx.calls
    todo = _semantic_cases(ctx)
    while todo:
        batch: list[tuple[str, dict[str, Any], list[str]]] = []
        while todo:
            what, build = todo[0]
            try:
                body, offending = build()
            except NotEnoughDevices as exc:
                if batch:
                    break  # the next round, once this one's devices are back
                if "no such device" in str(exc):
                    ctx.results.note("POST-04", f"{what}: not tried, {exc}")
                else:
                    ctx.skip("POST-04", f"{what}: not tried, {exc}")
                todo.pop(0)
                continue
            batch.append((what, body, offending))
            todo.pop(0)
        if batch:
            _send_round(ctx, calls, batch)
        ctx.recycle()  # black-box: cancel what is still open, so its devices serve the next round


def _send_round(ctx: Ctx, calls: Calls, batch: list[tuple[str, dict[str, Any], list[str]]]) -> None:
    accepted: list[tuple[str, Campaign, list[str]]] = []
    for what, body, offending in batch:
        try:
            ex = calls.schedule(body)
        except BudgetExhausted as exc:
            ctx.skip("POST-04", f"{what}: not sent, {exc}")
            continue
        data = ex.data
        if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
            ctx.branch("POST-04", "accepted, then RequestFailed")
            if ctx.expect("POST-04", data.get("status") == "RequestPending",
                          f"a request with {what} was accepted, but not as RequestPending",
                          expected="400, or 200 with status RequestPending", exchanges=[ex]):
                accepted.append((what, Campaign(body["accountName"], data["id"], ctx.alpha, body, ex),
                                 offending))
            continue
        problem = error_problem(ex, {400})
        if ctx.expect("POST-04", problem is None, f"a request with {what} was neither refused nor accepted",
                      expected="a 400 error response, or 200 RequestPending", actual=problem, exchanges=[ex]):
            ctx.branch("POST-04", "refused at once")
    if accepted:
        _follow_accepted(ctx, calls, accepted)


def _judge_later(ctx: Ctx, what: str, status: str | None, ids: list[str] | None, offending: list[str],
                 ex: Exchange) -> None:
    started = status in ("Queued", "InProgress", "Finished", "UpgradeFailed")
    with_offenders = ids is None or bool(set(offending) & set(ids))
    ctx.expect("POST-04", status == "RequestFailed" or (started and not with_offenders),
               f"an accepted request with {what} did not fail before it could start",
               expected="status RequestFailed (never Queued or started with the offending devices)",
               exchanges=[ex])


def _follow_accepted(ctx: Ctx, calls: Calls, accepted: list[tuple[str, Campaign, list[str]]]) -> None:
    if ctx.control is not None:
        # The contract's timing: decided at the next clock move. A minute on, then past the start (the rule
        # is about never starting, whichever move the target decides at).
        ctx.control.advance(timedelta(minutes=1))
        later = [(w, c, o, *calls.look(c)) for w, c, o in accepted]
        pending = [(w, c, o) for w, c, o, _, status, _ in later if status == "RequestPending"]
        for w, _, o, ids, status, ex in later:
            if status != "RequestPending":
                _judge_later(ctx, w, status, ids, o, ex)
        if pending:
            ctx.control.set_clock(max(c.start for _, c, _ in pending) + timedelta(days=1))
            for w, c, o in pending:
                ids, status, ex = calls.look(c)
                _judge_later(ctx, w, status, ids, o, ex)
        return
    # No clock to move: watch until decided. Still RequestPending at the end is undecided, not a pass.
    t0 = time.monotonic()
    total = ctx.poll_total()
    deadline = t0 + total
    waiting = list(accepted)
    while waiting:
        still: list[tuple[str, Campaign, list[str]]] = []
        for w, c, o in waiting:
            ids, status, ex = calls.look(c)
            if status == "RequestPending":
                still.append((w, c, o))
            else:
                _judge_later(ctx, w, status, ids, o, ex)
        waiting = still
        if not waiting or time.monotonic() >= deadline:
            break
        ctx.waiting(f"{len(waiting)} campaign(s) still RequestPending after {time.monotonic() - t0:.0f} s "
                    f"(up to {total:g} s, --poll-total)")
        time.sleep(min(ctx.settings.poll_interval, max(0.0, deadline - time.monotonic())))
    if waiting:
        ctx.undecided()
    for w, c, _ in waiting:
        ctx.results.note("POST-04", f"{w}: accepted, still RequestPending after {total:g} s — could not be "
                                    f"decided (upgrade {c.id})")
        ctx.skip("POST-04", f"{w}: still RequestPending after {total:g} s of polling, undecided "
                 "(a slow target: raise --poll-total)")


@check("POST-05", "POST-03")
def devicelist_alias_is_accepted_or_refused(ctx: Ctx) -> None:
    """The spelling ``devicelist`` (the vendor's example): an alias of deviceList, or 400 — never a
    campaign without those devices."""
    calls = ctx.calls
    body = ctx.schedule_body(2)
    body["devicelist"] = body.pop("deviceList")
    ex = calls.schedule(body)
    if ex.status == 200:
        items = items_of(ex)
        got = sorted(str(i.get("deviceId")) for i in items or [])
        if ctx.expect("POST-03", got == sorted(body["devicelist"]),
                      "a request spelling devicelist was accepted without those devices",
                      expected="devicelist taken as deviceList, or a 400 error response", exchanges=[ex]):
            ctx.branch("POST-05", "alias accepted")
        return
    problem = error_problem(ex, {400})
    if ctx.expect("POST-03", problem is None, "a request spelling devicelist was neither aliased nor refused",
                  expected="200 with the devices, or a 400 error response", actual=problem, exchanges=[ex]):
        ctx.branch("POST-05", "refused with 400")
