"""WIRE — transport rules (docs/rules.md, WIRE-01 … WIRE-05).

WIRE-01 and WIRE-02 are judged on every answer any check sees (``ctx.calls``, the universal judge);
the checks here make sure each is exercised on purpose: every operation, success and error answers,
and a battery of malformed input on all four operations.
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance.spec.rules import Level
from conformance.suite.context import Ctx
from conformance.suite.http import Exchange
from conformance.suite.oracle import error_problem, items_of
from conformance.suite.registry import check
from conformance.suite.toolkit import SDK_HEADERS, open_campaign

#: A body that is nested deeper than a recursive JSON parser's stack: a classic crash.
_DEEP = ("[" * 5000 + "]" * 5000).encode()
_HUGE = "9" * 200_000


@check("WIRE-01")
def every_operation_answers_json(ctx: Ctx) -> None:
    """Success and error answers of all four operations are JSON labelled application/json."""
    calls = ctx.calls
    c = open_campaign(calls)
    unknown = str(uuid.uuid4())
    calls.details(c.account, c.id)
    calls.details(c.account, unknown)
    calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1)})
    calls.change(c.account, c.id, {"type": "sideways", "deviceList": []})
    calls.schedule({"accountName": c.account})
    calls.schedule(ctx.schedule_body(1), creds=None)
    calls.cancel(c.account, unknown)
    if ctx.control is not None:  # without one the run's shared campaign must stay open
        calls.cancel(c.account, c.id)


def _post_battery(ctx: Ctx) -> list[tuple[str, bytes, str | None]]:
    """Malformed POST bodies: (what, raw body, Content-Type). None of them is a valid request, so
    even a lenient target creates no campaign from them."""
    acct = ctx.account.name
    fw = ctx.firmware.name
    base = f'"accountName": "{acct}", "firmwareName": "{fw}", "startDate": "{ctx.start_date()}"'
    return [
        ("truncated JSON", b'{"accountName": "', "application/json"),
        ("a number in deviceList", f'{{{base}, "deviceList": [350000000099999]}}'.encode(), "application/json"),
        ("deviceList an object", f'{{{base}, "deviceList": {{"a": 1}}}}'.encode(), "application/json"),
        ("startDate a number", f'{{"accountName": "{acct}", "firmwareName": "{fw}", "startDate": 20260401, '
                               f'"deviceList": []}}'.encode(), "application/json"),
        ("accountName null", f'{{"accountName": null, "firmwareName": "{fw}", "deviceList": []}}'.encode(),
         "application/json"),
        ("huge firmwareName", f'{{{base.replace(fw, _HUGE)}, "deviceList": []}}'.encode(), "application/json"),
        ("huge IMEI", f'{{{base}, "deviceList": ["{_HUGE}"]}}'.encode(), "application/json"),
        ("odd strings", f'{{{base}, "deviceList": ["\\u202e\\ud83d\\ude00", "\'; DROP TABLE", "../../"]}}'.encode(),
         "application/json"),
        ("NUL bytes", f'{{{base}, "firmwareName": "a\\u0000b", "deviceList": ["\\u0000"]}}'.encode(),
         "application/json"),
        ("a raw NUL byte", b'{"accountName": "\x00"}', "application/json"),
        ("non-UTF-8 bytes", b'{"accountName": "\xff\xfe\xfa"}', "application/json"),
        ("unknown fields only", b'{"zzz": 1, "__proto__": {"x": 1}, "constructor": []}', "application/json"),
        ("deep nesting", _DEEP, "application/json"),
        ("deep nesting in a field", b'{"deviceList": ' + _DEEP + b"}", "application/json"),
        ("empty body", b"", "application/json"),
        ("XML labelled XML", b"<upgrade><accountName>x</accountName></upgrade>", "application/xml"),
        ("a form body", b"accountName=x&deviceList=1", "application/x-www-form-urlencoded"),
        ("text/plain", b"hello", "text/plain"),
        ("no Content-Type", b'{"accountName": 1}', None),
        ("a garbled Content-Type", b'{"accountName": 1}', "application/json; charset=klingon"),
        ("a huge number", f'{{{base}, "deviceList": [1e999999]}}'.encode(), "application/json"),
    ]


def _put_battery() -> list[tuple[str, bytes, str | None]]:
    return [
        ("truncated JSON", b'{"type": "app', "application/json"),
        ("a number in deviceList", b'{"type": "append", "deviceList": [350000000099999]}', "application/json"),
        ("type a list", b'{"type": ["append"], "deviceList": ["1"]}', "application/json"),
        ("deviceList null", b'{"type": "remove", "deviceList": null}', "application/json"),
        ("huge type", f'{{"type": "{_HUGE}", "deviceList": ["1"]}}'.encode(), "application/json"),
        ("NUL bytes", b'{"type": "append\\u0000", "deviceList": ["\\u0000"]}', "application/json"),
        ("non-UTF-8 bytes", b'{"type": "\xff\xfe"}', "application/json"),
        ("unknown fields only", b'{"zzz": {"yyy": [1, 2, {}]}}', "application/json"),
        ("deep nesting", _DEEP, "application/json"),
        ("empty body", b"", "application/json"),
        ("text/plain", b"append 1", "text/plain"),
        ("no Content-Type", b'{"type": "append"}', None),
    ]


def _bad_paths(account: str, upgrade_id: str) -> list[tuple[str, str, str]]:
    """Odd path parameters for GET/PUT/DELETE: (what, account, upgrade id) — already URL-safe."""
    return [
        ("an upgradeId that is not a UUID", account, "not-a-uuid"),
        ("a huge upgradeId", account, "9" * 5000),
        ("an encoded NUL", account, "%00"),
        ("non-ASCII", "%C3%A9%E2%82%AC", upgrade_id),
        ("encoded non-UTF-8", account, "%FF%FE"),
        ("an encoded slash", account + "%2F..", upgrade_id),
        ("a huge account", "0" * 5000, upgrade_id),
    ]


@check("WIRE-02")
def malformed_input_never_gets_5xx(ctx: Ctx) -> None:
    """A battery of malformed requests on all four operations: never a 5xx (nor a dropped connection)."""
    calls = ctx.calls
    c = open_campaign(calls)
    sent: list[tuple[str, Exchange]] = []
    for what, raw, ctype in _post_battery(ctx):
        sent.append((f"POST with {what}", calls.schedule(raw=raw, content_type=ctype)))
    for what, raw, ctype in _put_battery():
        sent.append((f"PUT with {what}", calls.change(c.account, c.id, raw=raw, content_type=ctype)))
    for what, account, upgrade_id in _bad_paths(c.account, c.id):
        sent.append((f"GET with {what}", calls.details(account, upgrade_id)))
        sent.append((f"PUT with {what}", calls.change(account, upgrade_id, {"type": "remove", "deviceList": ["1"]})))
        sent.append((f"DELETE with {what}", calls.cancel(account, upgrade_id)))
    # GET and DELETE carrying a body they do not expect.
    sent.append(("GET with a body", calls.send("GET", c.account, c.id, raw=b"{{{")))
    for what, ex in sent:
        # A 5xx answer is the universal judge's finding (ctx.calls); a transport failure after a
        # malformed request is how a crashed worker looks from outside, and only this check asks.
        if ex.status is None:
            ctx.fail("WIRE-02", f"{what} got no answer", expected="a non-5xx answer", actual=ex.outcome(),
                     exchanges=[ex])


def _accepted(ex: Exchange) -> bool:
    data = ex.data
    return ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str)


@check("WIRE-03")
def json_and_star_labels_are_accepted(ctx: Ctx) -> None:
    """Bodies labelled application/json; charset=utf-8 and */* are processed like application/json."""
    calls = ctx.calls
    # POST: each label creates a campaign; without a control plane only */* (the SDK's label), to
    # stay inside the campaign cap — the charset label is still exercised on PUT below.
    labels = ["*/*", "application/json; charset=utf-8"] if ctx.control is not None else ["*/*"]
    for label in labels:
        ex = calls.schedule(ctx.schedule_body(1), content_type=label)
        ctx.expect("WIRE-03", _accepted(ex), f"a valid POST labelled {label!r} was not accepted",
                   expected="200 with the new upgrade", exchanges=[ex])
    ctx.recycle()  # black-box: that campaign's device comes back for the appends below
    c = open_campaign(calls)
    for label in ("*/*", "application/json; charset=utf-8", "application/json;charset=UTF-8"):
        imei = ctx.devices(1)
        ex = calls.change(c.account, c.id, {"type": "append", "deviceList": imei}, content_type=label)
        items = items_of(ex) or []
        ok = ex.status == 200 and [i.get("status") for i in items] == ["AddDeviceSucceed"]
        ctx.expect("WIRE-03", ok, f"a valid PUT append labelled {label!r} was not accepted",
                   expected="200 with AddDeviceSucceed for the device", exchanges=[ex])


@check("WIRE-04")
def unknown_headers_and_fields_are_ignored(ctx: Ctx) -> None:
    """The SDKs' extra headers change nothing (MUST); unknown body fields are ignored (SHOULD)."""
    calls = ctx.calls

    def extra() -> dict[str, str]:
        return {**SDK_HEADERS, "Idempotency-Key": str(uuid.uuid4()), "X-Unknown-Header": "1"}

    ex = calls.schedule(ctx.schedule_body(1), headers=extra())
    ctx.expect("WIRE-04", _accepted(ex), "a valid POST with the SDK's extra headers was refused",
               expected="200 with the new upgrade", exchanges=[ex])
    c = open_campaign(calls)
    ex = calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1)}, headers=extra())
    ctx.expect("WIRE-04", ex.status == 200, "a valid PUT with the SDK's extra headers was refused",
               expected="200", exchanges=[ex])
    ex = calls.send("GET", c.account, c.id, headers=extra())
    ctx.expect("WIRE-04", ex.status == 200, "GET with the SDK's extra headers was refused",
               expected="200", exchanges=[ex])
    if ctx.control is not None:
        ex = calls.send("DELETE", c.account, c.id, headers=extra())
        ctx.expect("WIRE-04", ex.status == 200, "DELETE with the SDK's extra headers was refused",
                   expected="200 {\"success\": true}", exchanges=[ex])
    # The SHOULD part: unknown body fields. POST only where a campaign more is affordable.
    unknown: dict[str, Any] = {"clientReference": "suite", "notes": {"why": "WIRE-04"}}
    if ctx.control is not None:
        ex = calls.schedule({**ctx.schedule_body(1), **unknown})
        ctx.expect("WIRE-04", _accepted(ex), "a valid POST with unknown fields was refused",
                   expected="unknown body fields ignored: 200", exchanges=[ex], severity=Level.SHOULD)
        c = open_campaign(calls)
    ex = calls.change(c.account, c.id, {"type": "append", "deviceList": ctx.devices(1), **unknown})
    ctx.expect("WIRE-04", ex.status == 200, "a valid PUT with unknown fields was refused",
               expected="unknown body fields ignored: 200", exchanges=[ex], severity=Level.SHOULD)


@check("WIRE-05")
def non_json_bodies_get_400(ctx: Ctx) -> None:
    """Bodies that are not JSON, or not a JSON object, get a 400 error response and change nothing."""
    calls = ctx.calls
    bodies: list[tuple[str, bytes]] = [
        ("not JSON", b"this is not json"), ("truncated JSON", b'{"type": '), ("an empty body", b""),
        ("a JSON array", b'["append"]'), ("a JSON string", b'"append"'), ("a JSON number", b"42"),
        ("JSON null", b"null"), ("JSON true", b"true"),
    ]
    for what, raw in bodies:
        ex = calls.schedule(raw=raw)
        problem = error_problem(ex, {400})
        ctx.expect("WIRE-05", problem is None and not _accepted(ex), f"POST with {what} was not refused",
                   expected="a 400 error response, no upgrade created", actual=problem, exchanges=[ex])
    c = open_campaign(calls)
    before, _ = calls.device_ids(c)
    for what, raw in bodies:
        ex = calls.change(c.account, c.id, raw=raw)
        problem = error_problem(ex, {400})
        ctx.expect("WIRE-05", problem is None, f"PUT with {what} was not refused",
                   expected="a 400 error response", actual=problem, exchanges=[ex])
    after, get = calls.device_ids(c)
    ctx.expect("WIRE-05", sorted(after) == sorted(before), "a refused PUT changed the campaign",
               expected=f"the device list unchanged: {before}", actual=f"{after}", exchanges=[get])
