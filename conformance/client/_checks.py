"""The CLIENT rules as plain functions: each looks at one request (and what the client had seen
before it, in ``Seen``) and records what it exercised and what failed in the suite's ``Results``.

Each rule judges its own thing only, so that a client that breaks one rule trips that rule and no
other: CLIENT-02 judges the scheme only when there is an Authorization header (its absence is
CLIENT-01's); CLIENT-04/05 judge the content of a body that is a JSON object, with ``devicelist``
read as ``deviceList`` (the spelling is CLIENT-06's); CLIENT-07 judges dates that are dates (their
format is CLIENT-04's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Final

from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30Validator

from conformance.client._observed import ClientRequest, Operation
from conformance.simulator.validation import RequestSchemas
from conformance.spec.client_rules import CLIENT_TEXT
from conformance.spec.lifecycle import STARTED, TERMINAL
from conformance.spec.openapi import Document, escape, load_openapi
from conformance.spec.rules import Level
from conformance.suite.oracle import is_json_media_type
from conformance.suite.results import Results

__all__ = ["CHECKS", "Seen", "enforcers", "observe_answer"]

CHECK: Final = "client"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Statuses after which a campaign can no longer be changed or cancelled.
CLOSED: Final = frozenset(s.value for s in STARTED | TERMINAL)
OPERATION_IDS: Final = {"schedule": "scheduleFirmwareUpgrade", "change": "updateFirmwareUpgradeDevices"}
#: A 4xx that says "later", not "wrong": repeating after it is what the status asks for.
RETRYABLE_4XX: Final = frozenset({408, 429})


@dataclass
class Seen:
    """What the client has been shown so far (never what the target knows but did not say)."""

    #: (account, upgrade id) → the last campaign status the client saw ("cancelled" after its own DELETE 200).
    status: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The request that showed each campaign closed (quoted in CLIENT-08's finding).
    closed_by: dict[tuple[str, str], ClientRequest] = field(default_factory=dict)
    #: Schedule requests answered 5xx, not yet followed by a look at their account: (key, request).
    failed_posts: list[tuple[tuple[str, str, frozenset[str]], ClientRequest]] = field(default_factory=list)
    #: Requests refused with a 4xx, by identity (method, URL, body, credentials).
    refused: dict[tuple[str, str, bytes, str, str], ClientRequest] = field(default_factory=dict)
    #: The target's clock as last seen (live: the simulator's; a cassette: its control-plane calls).
    clock: datetime | None = None


def _vendor(rule_id: str) -> str:
    return CLIENT_TEXT[rule_id].vendor


def _answered(req: ClientRequest) -> str:
    return "no answer" if req.status is None else f"the target answered {req.status}"


def _fail(results: Results, rule_id: str, title: str, *, expected: str, actual: str,
          requests: list[ClientRequest], severity: Level | None = None) -> None:
    results.fail(rule_id, CHECK, title, expected=expected, actual=f"{actual} ({_answered(requests[-1])})",
                 exchanges=[r.exchange() for r in requests], severity=severity, vendor=_vendor(rule_id))


def _body(req: ClientRequest) -> Any:
    """The JSON body; ``_NOT_JSON`` when absent or unparsable."""
    if not req.body or not req.body.strip():
        return _NOT_JSON
    try:
        return json.loads(req.body)
    except (ValueError, RecursionError):
        return _NOT_JSON


_NOT_JSON: Final[Any] = object()


# --- CLIENT-01, CLIENT-02: credentials --------------------------------------------------------------

def credentials(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """Both credentials on every call (CLIENT-01), and the Bearer scheme (CLIENT-02)."""
    results.exercised("CLIENT-01", CHECK)
    missing = [name for name in ("Authorization", "VZ-M2M-Token") if not (req.header(name) or "").strip()]
    if missing:
        _fail(results, "CLIENT-01", f"{req.method} without {' and '.join(missing)}",
              expected="both Authorization and VZ-M2M-Token on every call",
              actual=f"no {' and no '.join(missing)} header", requests=[req])
    authorization = (req.header("Authorization") or "").strip()
    if not authorization:
        return
    results.exercised("CLIENT-02", CHECK)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        shown = f"{scheme} ***" if token.strip() else "a bare token"
        _fail(results, "CLIENT-02", f"{req.method} with a non-Bearer Authorization",
              expected="Authorization: Bearer <token>", actual=f"Authorization: {shown}", requests=[req])


# --- CLIENT-03 .. CLIENT-07: bodies ---------------------------------------------------------------

def content(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """A POST/PUT body is a JSON object labelled application/json, or */* on PUT (CLIENT-03)."""
    if op.name not in OPERATION_IDS:
        return
    results.exercised("CLIENT-03", CHECK)
    label = req.header("Content-Type")
    data = _body(req)
    problems = []
    if data is _NOT_JSON:
        problems.append("no body" if not req.body or not req.body.strip() else "a body that is not JSON")
    elif not isinstance(data, dict):
        problems.append(f"a JSON {type(data).__name__}, not an object")
    star = label is not None and label.split(";", 1)[0].strip() == "*/*"
    if label is None:
        problems.append("no Content-Type")
    elif star and op.name == "schedule":
        problems.append("Content-Type */* on POST (the vendor's SDK labels only its PUT so)")
    elif not star and not is_json_media_type(label):
        problems.append(f"Content-Type {label!r}")
    if problems:
        _fail(results, "CLIENT-03", f"{req.method} body: {problems[0]}",
              expected="a JSON object labelled application/json (or */* on PUT)", actual=", ".join(problems),
              requests=[req])
    elif star:
        results.branch("CLIENT-03", "*/* on PUT (the vendor SDK's label)")
    else:
        results.branch("CLIENT-03", "application/json")


@cache
def _schemas() -> RequestSchemas:
    return RequestSchemas(load_openapi())


@cache
def _validator(operation_id: str) -> OAS30Validator:
    """The validator of the operation's JSON request body in openapi.yaml (references resolved by
    ``referencing``, as for every other reader of the document)."""
    doc = Document(load_openapi())
    for path, item in doc.contents.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                _, at = doc.deref(op["requestBody"], f"/paths/{escape(path)}/{method}/requestBody")
                return doc.validator(f"{at}/content/{escape('application/json')}/schema")
    raise KeyError(f"openapi.yaml has no operation {operation_id!r}")


def _relevant(error: ValidationError) -> bool:
    # The IMEI pattern is marked x-fota-semantic-only: a malformed IMEI is the target's per-device
    # judgement (POST-04/PUT-03), not a malformed request.
    return not (error.validator == "pattern" and error.schema.get("x-fota-semantic-only"))


def _where(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path).lstrip(".")
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((p for p in error.validator_value if p not in error.instance), "?")
        return f"{path + '.' if path else ''}{missing}: a required field is missing"
    return f"{path or 'body'}: {error.message}"


def schema(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """A POST/PUT body is valid against its request schema in openapi.yaml (CLIENT-04, CLIENT-05)."""
    if op.name not in OPERATION_IDS:
        return
    data = _body(req)
    if not isinstance(data, dict):
        return  # CLIENT-03's finding
    rule_id = "CLIENT-04" if op.name == "schedule" else "CLIENT-05"
    results.exercised(rule_id, CHECK)
    body = dict(data)
    if "devicelist" in body and "deviceList" not in body:
        body["deviceList"] = body.pop("devicelist")  # the spelling is CLIENT-06's business
    errors = [e for e in _validator(OPERATION_IDS[op.name]).iter_errors(body) if _relevant(e)]
    if errors:
        error = best_match(errors)
        model = "FirmwareUpgradeRequest" if op.name == "schedule" else "FirmwareUpgradeChangeRequest"
        _fail(results, rule_id, f"{req.method} body not valid against openapi.yaml",
              expected=f"a body valid against {model}",
              actual=_where(error), requests=[req])


def spelling(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """The documented field names: no devicelist (MUST), no unknown fields (SHOULD) (CLIENT-06)."""
    if op.name not in OPERATION_IDS:
        return
    data = _body(req)
    if not isinstance(data, dict):
        return
    results.exercised("CLIENT-06", CHECK)
    if "devicelist" in data:
        _fail(results, "CLIENT-06", f"{req.method} body spells the device list 'devicelist'",
              expected="deviceList (the spelling of the vendor's tables and SDKs)", actual="devicelist",
              requests=[req])
    known = _schemas().body_fields(OPERATION_IDS[op.name]) | {"devicelist"}
    unknown = sorted(set(data) - known)
    if unknown:
        _fail(results, "CLIENT-06", f"{req.method} body with fields openapi.yaml does not name",
              expected=f"only {', '.join(sorted(known - {'devicelist'}))}",
              actual=f"also {', '.join(map(repr, unknown))}", requests=[req], severity=Level.SHOULD)


def _date(value: object) -> date | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def dates(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """endDate not before startDate, startDate not before the target's today (CLIENT-07)."""
    if op.name != "schedule":
        return
    data = _body(req)
    if not isinstance(data, dict):
        return
    start, end = _date(data.get("startDate")), _date(data.get("endDate"))
    if start is None:
        return  # no date to judge: CLIENT-04's finding
    results.exercised("CLIENT-07", CHECK)
    if end is not None and end < start:
        _fail(results, "CLIENT-07", "endDate before startDate", expected="endDate on or after startDate",
              actual=f"startDate {start.isoformat()}, endDate {end.isoformat()}", requests=[req])
    clock = req.now or seen.clock
    if clock is None:
        results.skip("CLIENT-07", "startDate against the target's clock: the clock is unknown (a recording shows "
                                  "it only through the simulator's /__control/clock or /__control/world calls)")
    elif start < clock.date():
        _fail(results, "CLIENT-07", "startDate in the past", expected=f"startDate on or after the target's "
              f"today, {clock.date().isoformat()}", actual=f"startDate {start.isoformat()}", requests=[req])


# --- CLIENT-08 .. CLIENT-10: conduct -----------------------------------------------------------------

def closed_campaign(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """No PUT or DELETE of a campaign the client has seen started, ended or cancelled (CLIENT-08)."""
    if op.name not in ("change", "cancel") or op.account is None or op.upgrade_id is None:
        return
    key = (op.account, op.upgrade_id)
    status = seen.status.get(key)
    if status is None:
        return  # a campaign the session never showed: nothing to judge the client's knowledge by
    results.exercised("CLIENT-08", CHECK)
    if status in CLOSED or status == "cancelled":
        what = "add/remove devices in" if op.name == "change" else "cancel"
        shown = "its own cancel succeeded" if status == "cancelled" else f"status {status}"
        state = "cancelled" if status == "cancelled" else "started or ended"
        _fail(results, "CLIENT-08", f"{req.method}: {what} a campaign already seen {state}",
              expected="no PUT or DELETE once the client saw the campaign started or ended",
              actual=f"the client had seen {shown}", requests=[seen.closed_by[key], req])


def _schedule_key(req: ClientRequest) -> tuple[str, str, frozenset[str]] | None:
    data = _body(req)
    if not isinstance(data, dict):
        return None
    devices = data.get("deviceList", data.get("devicelist"))
    if not isinstance(devices, list):
        return None
    return (str(data.get("accountName")), str(data.get("firmwareName")), frozenset(map(str, devices)))


def blind_repeat(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """No schedule request repeated after a 5xx without a look at the account first (CLIENT-09)."""
    if op.account is not None and op.name == "details":
        # A look at the account: whatever failed before, the client can now know whether it took effect.
        seen.failed_posts = [(k, r) for k, r in seen.failed_posts if k[0] != op.account]
    if op.name != "schedule":
        return
    key = _schedule_key(req)
    if key is None:
        return
    earlier = next((r for k, r in seen.failed_posts if k == key), None)
    if earlier is not None:
        _fail(results, "CLIENT-09", "a failed schedule request repeated without looking first",
              expected="a GET on the account (did the first attempt take effect?) before scheduling again",
              actual=f"the same schedule request again after {earlier.status or 'no answer'}",
              requests=[earlier, req])
    if req.status is None or req.status >= 500:  # no answer at all: the same uncertainty as a 5xx
        results.exercised("CLIENT-09", CHECK)
        seen.failed_posts.append((key, req))


def _identity(req: ClientRequest) -> tuple[str, str, bytes, str, str]:
    return (req.method, req.url, req.body or b"", req.header("Authorization") or "", req.header("VZ-M2M-Token") or "")


def unchanged_repeat(results: Results, req: ClientRequest, op: Operation, seen: Seen) -> None:
    """No request sent again unchanged after a 4xx (CLIENT-10)."""
    identity = _identity(req)
    earlier = seen.refused.get(identity)
    if earlier is not None:
        _fail(results, "CLIENT-10", f"{req.method} sent again unchanged after a {earlier.status}",
              expected="a changed request (or none) after a 4xx", actual="the identical request again",
              requests=[earlier, req])
    if req.status is not None and 400 <= req.status < 500 and req.status not in RETRYABLE_4XX:
        results.exercised("CLIENT-10", CHECK)
        seen.refused.setdefault(identity, req)
    elif req.status is not None and 200 <= req.status < 300:
        seen.refused.pop(identity, None)  # it worked this time: whatever changed, the repeat was not blind


#: Every check, in the order they judge a request (before its answer updates ``Seen``).
CHECKS: Final[tuple[Callable[[Results, ClientRequest, Operation, Seen], None], ...]] = (
    credentials, content, schema, spelling, dates, closed_campaign, blind_repeat, unchanged_repeat)


#: The rules each check judges (docs/rules.md lists the checks of each rule).
RULES_OF: Final[dict[Callable[[Results, ClientRequest, Operation, Seen], None], tuple[str, ...]]] = {
    credentials: ("CLIENT-01", "CLIENT-02"), content: ("CLIENT-03",), schema: ("CLIENT-04", "CLIENT-05"),
    spelling: ("CLIENT-06",), dates: ("CLIENT-07",), closed_campaign: ("CLIENT-08",),
    blind_repeat: ("CLIENT-09",), unchanged_repeat: ("CLIENT-10",)}


def enforcers() -> dict[str, list[tuple[str, str]]]:
    """rule → [(check name, what it does)], for docs/rules.md and ``fota-conformance rules``."""
    out: dict[str, list[tuple[str, str]]] = {}
    for check in CHECKS:
        summary = " ".join((check.__doc__ or "").split())
        for rule_id in RULES_OF[check]:
            out.setdefault(rule_id, []).append((f"client.{check.__name__}", summary))
    return out


def observe_answer(req: ClientRequest, op: Operation, seen: Seen) -> None:
    """What the answer showed the client about its campaigns (CLIENT-08's memory)."""
    if req.status is None or not 200 <= req.status < 300:
        return
    data = req.answer_data
    if op.name == "cancel" and op.account and op.upgrade_id:
        key = (op.account, op.upgrade_id)
        seen.status[key], seen.closed_by[key] = "cancelled", req
        return
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return
    account = op.account or data.get("accountName")
    status = data.get("status")
    if isinstance(account, str) and isinstance(status, str):
        key = (account, data["id"])
        seen.status[key] = status
        if status in CLOSED:
            seen.closed_by.setdefault(key, req)
