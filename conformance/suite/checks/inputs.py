"""Boundaries and near misses that the schema cannot express: a table of inputs, one row each.

schemathesis's coverage phase (schema.py) derives what openapi.yaml implies — each wrong JSON
type, ``null``, a missing property, a value off the pattern. Real servers break on other things,
which random generation rarely reaches; this table sends them on every field of every operation
(body fields, path parameters, credential headers), each row changing one thing of a request
that is otherwise valid:

- near-miss enum values (case variants, surrounding or Unicode whitespace, look-alike letters,
  synonyms) and Unicode traps (digits of other scripts, full-width digits, zero-width characters)
  in ``type``, IMEIs, dates and account names;
- impossible dates (30 February, day 0, month 0), extreme dates (year 9999, year 1) and near-miss
  date spellings (unpadded, signed, padded with spaces, a Unicode hyphen);
- empty strings, ``null`` and numbers where strings belong, field by field;
- very long and duplicated device lists, oversized strings and headers, deep nesting, and a JSON
  object that names a key twice.

What each row expects follows the rules: never a 5xx (WIRE-02, judged on every answer by
``Calls``); structurally invalid → a 400 error response (POST-03, PUT-06); semantically invalid
→ POST-04 (400, or accepted and failed before it starts) or PUT-03 (400, or a failed item);
a valid request, however extreme its dates → 200 (POST-01); a near-miss credential → AUTH-02 /
AUTH-03; a path naming no campaign of the account → a 4xx. Where the rules allow several readings
(an upper-case UUID, a key given twice), any of them is accepted and only WIRE-02 judges.

Without a control plane only rows that cannot create a campaign are sent (the cap and the
target's few devices are for the operation checks); the rest are reported untested.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# The POST-04 follow-up (clock moves, or polling) and PUT-03's per-device judgement are the
# operation checks' own: one reading of each rule.
from conformance.suite.checks.post import _follow_accepted
from conformance.suite.checks.put import _per_device_outcome
from conformance.suite.context import Ctx, NotEnoughDevices
from conformance.suite.depth import depth_of
from conformance.suite.http import Exchange
from conformance.suite.oracle import PUT_SUCCESS, error_problem, items_of
from conformance.suite.registry import check
from conformance.suite.toolkit import Calls, Campaign, open_campaign

_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: A field value meaning "leave the field out".
_DROP: Any = object()


@dataclass
class Row:
    """One input: what it is, where it goes, and what the rules expect of the answer."""

    cls: str
    what: str
    op: str  # POST | PUT | GET | DELETE
    #: structural | semantic | valid | either | refused | bearer | m2m | per-device | duplicates
    expect: str
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    path: tuple[str, str] | None = None
    #: POST semantic rows: the devices that must never start (the spellings a server might read).
    offending: list[str] = field(default_factory=list)
    rule: str = ""
    #: Creates (or may create) a campaign or touches devices: not sent without a control plane.
    costly: bool = False


#: Stands in for a device where none is spared (see _devices).
_STAND_IN = "359999999999990"


def _devices(ctx: Ctx, n: int, *, costly: bool = False) -> list[str]:
    """``n`` fresh devices of the world. Without a control plane the world's devices are few and
    the operation checks need them: rows that would use a device for real (``costly``) are not
    sent there, and structural rows, refused whatever device they name, take one only if spare."""
    if ctx.control is None and costly:
        return [_STAND_IN] * n
    try:
        return ctx.devices(n)
    except NotEnoughDevices:
        if ctx.control is not None:
            raise
        return [_STAND_IN] * n


def _dates(ctx: Ctx) -> tuple[str, str]:
    start = ctx.start_date(days_ahead=5)
    return start.isoformat(), (start + timedelta(days=2)).isoformat()


def _post_rows(ctx: Ctx, large: int) -> list[Row]:
    start, end = _dates(ctx)
    shared = _devices(ctx, 1)
    good = ctx.schedule_body(0, deviceList=shared, startDate=start, endDate=end)
    year = int(start[:4]) + 1
    non_leap = year if year % 4 else year + 1
    rows: list[Row] = []

    def post(cls: str, what: str, expect: str, /, **fields: Any) -> None:
        body = {k: v for k, v in {**good, **fields}.items() if v is not _DROP}
        offending = shared if expect in ("semantic", "oversized") else []
        rows.append(Row(cls, what, "POST", expect, body=body, offending=list(offending),
                        costly=expect in ("semantic", "valid", "either", "oversized")))

    # null, and numbers or other JSON types where strings belong, field by field.
    for key in ("accountName", "firmwareName", "firmwareTo", "startDate", "endDate", "deviceList"):
        post("null", f"{key} null", "structural", **{key: None})
    digits = "".join(ch for ch in good["accountName"] if ch in "0123456789")  # any spelling of a name
    for key, value in (("accountName", int(digits[:10] or 0)),
                       ("firmwareName", 1), ("firmwareTo", 2.0), ("startDate", int(start.replace("-", ""))),
                       ("endDate", True), ("deviceList", shared[0]), ("deviceList", {"0": shared[0]}),
                       ("deviceList", [[shared[0]]]), ("firmwareName", [good["firmwareName"]]),
                       ("startDate", {"year": year})):
        post("wrong JSON type", f"{key} {type(value).__name__} {json.dumps(value)[:40]}", "structural",
             **{key: value})
    if shared[0].isdigit():
        post("wrong JSON type", "an IMEI of the world sent as a JSON number", "structural",
             deviceList=[int(shared[0])])
    post("null", "deviceList with a null after a valid IMEI", "structural", deviceList=[shared[0], None])
    # Empty strings.
    post("empty string", "startDate empty", "structural", startDate="")
    post("empty string", "endDate empty", "structural", endDate="")
    post("empty string", "firmwareName empty", "semantic", firmwareName="")
    post("empty string", "firmwareTo empty (a mismatching version, not an absent one)", "semantic", firmwareTo="")
    post("empty string", "an empty IMEI", "semantic", deviceList=[""])
    # Impossible, extreme and near-miss dates.
    for what, value in ((f"{non_leap}-02-29 (no leap year)", f"{non_leap}-02-29"),
                        (f"{year}-02-30", f"{year}-02-30"), (f"{year}-04-31", f"{year}-04-31"),
                        (f"{year}-06-00 (day 0)", f"{year}-06-00"), (f"{year}-00-10 (month 0)", f"{year}-00-10"),
                        (f"{year}-12-32", f"{year}-12-32")):
        post("impossible date", f"startDate {what}", "structural", startDate=value, endDate=_DROP)
    for what, value in (("in Arabic-Indic digits", start.translate(_ARABIC)),
                        ("in full-width digits", start.translate(_FULLWIDTH)),
                        ("with one Arabic-Indic digit", start[:-1] + start[-1].translate(_ARABIC)),
                        ("with Unicode hyphens", start.replace("-", "\u2010")),
                        ("unpadded", start.replace("-0", "-")), ("signed", "+" + start),
                        ("with a leading space", " " + start), ("with a trailing newline", start + "\n"),
                        ("with a zone", start + "Z")):
        if value != start:
            post("near-miss date", f"startDate {what}: {value!r}", "structural", startDate=value, endDate=_DROP)
    post("extreme date", "endDate 9999-12-31", "valid", endDate="9999-12-31")
    post("extreme date", "startDate 9999-12-30, endDate 9999-12-31", "valid",
         startDate="9999-12-30", endDate="9999-12-31")
    post("extreme date", "startDate 0001-01-01 (before today: accepted or refused)", "either",
         startDate="0001-01-01", endDate=_DROP)
    post("extreme date", "endDate 0001-01-01 (before startDate)", "semantic", endDate="0001-01-01")
    # Unicode traps and near misses in IMEIs: malformed, so semantically invalid (POST-04); the
    # real device they resemble must not be scheduled either.
    real = _devices(ctx, 1, costly=True)[0]
    for what, imei in (("its last digit Arabic-Indic", real[:-1] + real[-1].translate(_ARABIC)),
                       ("in full-width digits", real.translate(_FULLWIDTH)),
                       ("with a zero-width space", real[:7] + "\u200b" + real[7:]),
                       ("with a leading space", " " + real), ("with a trailing newline", real + "\n"),
                       ("one digit short", real[:-1]), ("one digit long", real + "0"), ("signed", "+" + real)):
        if imei == real:
            continue  # a world IMEI without digits: the "trap" would be the device itself
        rows.append(Row("Unicode trap in an IMEI", f"an IMEI {what}", "POST", "semantic",
                        body={**good, "deviceList": [imei]}, offending=[imei, real], costly=True))
    # Long and duplicated device lists.
    post("duplicated device list", "the same IMEI twice", "semantic", deviceList=shared * 2)
    if large:
        n = 2000 * large
        post("long device list", f"{n} unknown IMEIs", "semantic",
             deviceList=[f"35{i:013d}" for i in range(1, n + 1)])
        size = 64 * 1024 * large - 1024
        post("oversized string", f"firmwareName of {size // 1024} KiB", "oversized", firmwareName="F" * size)
        post("oversized string", f"an IMEI of {size // 1024} KiB", "oversized", deviceList=["9" * size])
    # Deep nesting and a key given twice (JSON allows it; parsers keep the first or the last).
    post("deep nesting", "deviceList nested 64 deep", "structural",
         deviceList=json.loads("[" * 64 + json.dumps(shared[0]) + "]" * 64))
    text = json.dumps(good)
    rows.append(Row("duplicate JSON key", "deviceList given twice (valid, then empty)", "POST", "either",
                    raw=(text[:-1] + ', "deviceList": []}').encode(), costly=True))
    rows.append(Row("duplicate JSON key", "startDate given twice (not a date, then valid)", "POST", "either",
                    raw=('{"startDate": "never", ' + text[1:]).encode(), costly=True))
    return rows


def _put_rows(ctx: Ctx, c: Campaign, large: int) -> list[Row]:
    fresh = _devices(ctx, 1)
    rows: list[Row] = []
    for value in ("Append", "APPEND ", " append", "append ", "append\n", "\tremove", "remove\u00a0",
                  "ａｐｐｅｎｄ", "\u0430ppend", "append\u200b", "apend", "appendd", "delete", "Remove"):
        rows.append(Row("near-miss enum", f"type {value!r}", "PUT", "structural",
                        body={"type": value, "deviceList": fresh}))
    for what, body in (("type null", {"type": None, "deviceList": fresh}),
                       ("deviceList null", {"type": "append", "deviceList": None}),
                       ("deviceList with a null after a valid IMEI", {"type": "append", "deviceList": [*fresh, None]}),
                       ("type true", {"type": True, "deviceList": fresh}),
                       ("type a list", {"type": ["append"], "deviceList": fresh}),
                       ("deviceList nested", {"type": "append", "deviceList": [fresh]}),
                       ("deviceList nested 64 deep",
                        {"type": "append", "deviceList": json.loads("[" * 64 + json.dumps(fresh[0]) + "]" * 64)}),
                       ("type empty", {"type": "", "deviceList": fresh})):
        rows.append(Row("wrong JSON type" if "null" not in what else "null", what, "PUT", "structural", body=body))
    if fresh[0].isdigit():
        rows.append(Row("wrong JSON type", "an IMEI sent as a JSON number", "PUT", "structural",
                        body={"type": "append", "deviceList": [int(fresh[0])]}))
    real = _devices(ctx, 1, costly=True)[0]
    for what, imei in (("its last digit Arabic-Indic", real[:-1] + real[-1].translate(_ARABIC)),
                       ("in full-width digits", real.translate(_FULLWIDTH)),
                       ("with a trailing space", real + " "), ("empty", "")):
        if imei == real:
            continue  # as above
        rows.append(Row("Unicode trap in an IMEI", f"append of an IMEI {what}", "PUT", "per-device",
                        body={"type": "append", "deviceList": [imei]}, offending=[imei], costly=True))
    twice = _devices(ctx, 1, costly=True)
    rows.append(Row("duplicated device list", "append of one device listed twice", "PUT", "duplicates",
                    body={"type": "append", "deviceList": twice * 2}, offending=twice, costly=True))
    if large:
        n = 2000 * large
        unknown = [f"35{i:013d}" for i in range(1, n + 1)]
        rows.append(Row("long device list", f"append of {n} unknown IMEIs", "PUT", "per-device",
                        body={"type": "append", "deviceList": unknown}, offending=[unknown[0]], costly=True))
    # Path parameters: near misses of the real id name no campaign of the account.
    acc, uid = c.account, c.id
    for what, account, upgrade_id, expect in (
            ("upgradeId one character long", acc, uid + "0", "refused"),
            ("upgradeId with an Arabic-Indic digit", acc, _first_digit(uid, _ARABIC), "refused"),
            ("the nil UUID", acc, "00000000-0000-0000-0000-000000000000", "refused"),
            (f"an upgradeId of {4 * max(1, large)} KiB", acc, "9" * 4096 * max(1, large), "refused")):
        for op in ("GET", "PUT", "DELETE"):
            rows.append(Row("path parameter", f"{op} with {what}", op, expect, path=(account, upgrade_id),
                            body={"type": "remove", "deviceList": fresh} if op == "PUT" else None,
                            rule=_PATH_RULE[op]))
    return rows


def _account_rows(ctx: Ctx, c: Campaign) -> list[Row]:
    """Near misses of the account's name, in the body and in the path: they name no account of
    these credentials (AUTH-04: a 4xx)."""
    good = ctx.schedule_body(0, deviceList=["000000000000000"])  # refused before any device matters
    acc = good["accountName"]
    rows = [Row("near-miss account", f"accountName {what}", "POST", "refused", body={**good, "accountName": value},
                rule="AUTH-04")
            for what, value in (("empty", ""), ("in full-width digits", acc.translate(_FULLWIDTH)),
                                ("with a trailing space", acc + " ")) if value != acc]
    for what, account in (("accountName in full-width digits", c.account.translate(_FULLWIDTH)),
                          ("accountName with a trailing space", c.account + " ")):
        if account == c.account:
            continue  # a name without digits: "in full-width digits" would be the account itself
        for op in ("GET", "PUT", "DELETE"):
            rows.append(Row("near-miss account", f"{op} with {what}", op, "refused", path=(account, c.id),
                            body={"type": "remove", "deviceList": ["000000000000000"]} if op == "PUT" else None,
                            rule="AUTH-04"))
    return rows


_PATH_RULE = {"PUT": "PUT-05", "GET": "LIFE-04", "DELETE": "LIFE-06"}


def _first_digit(text: str, table: dict[int, int]) -> str:
    i = next((i for i, ch in enumerate(text) if ch.isdigit()), 0)
    return text[:i] + text[i].translate(table) + text[i + 1:]


def _header_rows(ctx: Ctx) -> list[Row]:
    bearer, m2m = ctx.alpha.bearer, ctx.alpha.m2m
    long_bearer = bearer * (5 * 1024 // max(1, len(bearer)) + 1)
    return [Row("near-miss credential", what, "GET", expect, headers=headers) for what, expect, headers in (
        # Tokens are secrets: case, like every other character, matters.
        ("a known bearer token with one character more", "bearer",
         {"Authorization": f"Bearer {bearer}x", "VZ-M2M-Token": m2m}),
        ("a bearer token of 5 KiB that starts with a known one", "bearer",
         {"Authorization": f"Bearer {long_bearer}", "VZ-M2M-Token": m2m}),
        ("a known session token with one character more", "m2m",
         {"Authorization": f"Bearer {bearer}", "VZ-M2M-Token": m2m + "x"}),
        ("a known session token in swapped case", "m2m",
         {"Authorization": f"Bearer {bearer}", "VZ-M2M-Token": m2m.swapcase()}),
        ("an empty session token", "m2m", {"Authorization": f"Bearer {bearer}", "VZ-M2M-Token": ""}),
        ("a session token of 5 KiB", "m2m",
         {"Authorization": f"Bearer {bearer}", "VZ-M2M-Token": m2m * (5 * 1024 // max(1, len(m2m)) + 1)}),
    ) if headers.get("VZ-M2M-Token") != m2m or expect != "m2m"]


def _send(ctx: Ctx, calls: Calls, c: Campaign, row: Row) -> Exchange:
    account, upgrade_id = row.path or (c.account, c.id)
    if row.headers:
        return calls.send(row.op, account, upgrade_id, creds=None, headers=row.headers)
    if row.op == "POST":
        return calls.schedule(raw=row.raw) if row.raw is not None else calls.schedule(row.body)
    if row.op == "PUT":
        return calls.change(account, upgrade_id, row.body)
    send: Callable[..., Exchange] = calls.details if row.op == "GET" else calls.cancel
    return send(account, upgrade_id)


def _judge(ctx: Ctx, row: Row, ex: Exchange, accepted: list[tuple[str, Campaign, list[str]]]) -> None:
    title = f"{row.cls}: {row.op} with {row.what}" if row.op not in row.what else f"{row.cls}: {row.what}"
    if ex.status is None or ex.status >= 500:
        ctx.expect("WIRE-02", ex.status is not None and ex.status < 500, f"{title} got a server error",
                   expected="a non-5xx answer", exchanges=[ex])
        return
    data = ex.data
    created = ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str)
    if row.expect == "structural":
        rule = "POST-03" if row.op == "POST" else "PUT-06"
        problem = error_problem(ex, {400})
        ctx.expect(rule, problem is None and not created, f"{title} was not refused",
                   expected="a 400 error response and no effect", actual=problem, exchanges=[ex])
    elif row.expect in ("semantic", "oversized"):
        if created:
            ctx.branch("POST-04", "accepted, then RequestFailed")
            if ctx.expect("POST-04", data.get("status") == "RequestPending", f"{title} was accepted, but not "
                          "as RequestPending", expected="400, or 200 with status RequestPending", exchanges=[ex]):
                accepted.append((title, Campaign(row.body["accountName"], data["id"], ctx.alpha, row.body, ex),
                                 row.offending))
            return
        statuses = {400} if row.expect == "semantic" else set(range(400, 500))
        problem = error_problem(ex, statuses)
        ctx.expect("POST-04", problem is None, f"{title} was neither refused nor accepted",
                   expected="a 400 error response, or 200 RequestPending" if row.expect == "semantic" else
                   "a 4xx error response (a body limit allows 413), or 200 RequestPending",
                   actual=problem, exchanges=[ex])
    elif row.expect == "valid":
        ok = created and data.get("status") == "RequestPending" and data.get("startDate") == row.body["startDate"]
        ctx.expect("POST-01", ok, f"{title}: a valid request was not accepted faithfully",
                   expected="200, a new id, the requested startDate, RequestPending", exchanges=[ex])
    elif row.expect == "refused":
        rule = row.rule or "AUTH-04"
        problem = error_problem(ex)
        ctx.expect(rule, problem is None, f"{title} was not refused", expected="a 4xx error response",
                   actual=problem, exchanges=[ex])
    elif row.expect in ("bearer", "m2m"):
        rule, statuses = ("AUTH-02", {401}) if row.expect == "bearer" else ("AUTH-03", {400, 401})
        problem = error_problem(ex, statuses)
        ctx.expect(rule, problem is None, f"{title} was let in", actual=problem, exchanges=[ex],
                   expected=f"a {' or '.join(map(str, sorted(statuses)))} error response")
    else:  # "either": the rules allow each reading; WIRE-02 (above) is the judge
        ctx.exercised("WIRE-02")


def _duplicates(ctx: Ctx, calls: Calls, c: Campaign, row: Row) -> None:
    """PUT-03 for one device listed twice in one append: a 400 with no effect, or 200 where the
    device joined once and at most one of its items says it was added."""
    device = row.offending[0]
    before, _ = calls.device_ids(c)
    ex = calls.change(c.account, c.id, row.body)
    after, get = calls.device_ids(c)
    title = f"{row.cls}: {row.what}"
    if ex.status == 400:
        ctx.expect("PUT-03", error_problem(ex, {400}) is None and Counter(after) == Counter(before),
                   f"{title}: refused, but not cleanly", expected="a 400 error response and no effect",
                   exchanges=[ex, get])
        return
    successes = [i for i in items_of(ex) or [] if i.get("deviceId") == device and i.get("status") in PUT_SUCCESS]
    ctx.expect("PUT-03", ex.status == 200 and len(successes) <= 1 and after.count(device) == 1,
               f"{title}: the answer does not match what happened",
               expected="a 400, or 200 with at most one success item for the device, which joined once",
               actual=f"{len(successes)} success item(s); the campaign lists it {after.count(device)} time(s) "
                      f"— {ex.outcome()}", exchanges=[ex, get])


@check("AUTH-02", "AUTH-03", "AUTH-04")
def near_miss_credentials_and_accounts(ctx: Ctx) -> None:
    """Credential headers and account names one character (or one case, or 5 KiB) away from valid."""
    calls = ctx.calls
    c = open_campaign(calls)
    _send_all(ctx, calls, c, _header_rows(ctx) + _account_rows(ctx, c))


@check("WIRE-02", "POST-01", "POST-03", "POST-04", "PUT-03", "PUT-05", "PUT-06", "LIFE-04", "LIFE-06")
def boundary_inputs(ctx: Ctx) -> None:
    """A table of boundary and near-miss inputs on every body field and path parameter."""
    calls = ctx.calls
    c = open_campaign(calls)
    large = depth_of(ctx.settings.depth).large
    # Oversized credential headers are also a WIRE-02 matter (a fixed-size buffer): any refusal will do.
    oversized = [Row("oversized header", row.what, row.op, "either", headers=row.headers)
                 for row in _header_rows(ctx) if "KiB" in row.what]
    _send_all(ctx, calls, c, oversized + _post_rows(ctx, large) + _put_rows(ctx, c, large))


def _send_all(ctx: Ctx, calls: Calls, c: Campaign, rows: list[Row]) -> None:
    if ctx.control is None:
        left_out = [r for r in rows if r.costly]
        rows = [r for r in rows if not r.costly]
        ctx.results.note("WIRE-02", f"boundary inputs: {len(left_out)} rows that may create campaigns or change "
                                    "devices were not sent (no control plane)")
    accepted: list[tuple[str, Campaign, list[str]]] = []
    for row in rows:
        if row.expect == "per-device":
            _per_device_outcome(ctx, calls, c, f"{row.cls}: {row.what}", row.body, row.offending[0])
        elif row.expect == "duplicates":
            _duplicates(ctx, calls, c, row)
        else:
            _judge(ctx, row, _send(ctx, calls, c, row), accepted)
    if accepted:
        _follow_accepted(ctx, calls, accepted)
