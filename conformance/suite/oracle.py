"""What a correct target may answer: pure judgements of one exchange, shared by the live checks
(through ``toolkit.Calls``) and the offline cassette judge, so that the two cannot disagree.

- ``universal_problems`` — the rules that hold for every answer of an API operation: WIRE-02 (no
  5xx), WIRE-01 (JSON labelled application/json) and, for every 4xx, the *error response* shape.
- ``error_problem`` — the one definition of an *error response* (docs/rules.md, Terms).
- ``schedule_answer_problems`` — POST-01's faithfulness of a 200 answer to its request.
- ``reason_key_problem`` — PUT-07 on a PUT answer's result items.
- ``schedule_validity`` — the request-validity oracle ("valid schedule request"), used by the schema
  exploration to decide which status a generated request must get.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from conformance.spec.lifecycle import Status
from conformance.spec.world import Credential, World
from conformance.suite.http import Exchange

__all__ = [
    "PUT_SUCCESS",
    "Problem",
    "device_ids",
    "error_problem",
    "is_json_media_type",
    "is_uuid",
    "item_statuses",
    "items_of",
    "reason_key_problem",
    "reason_of",
    "schedule_answer_problems",
    "schedule_validity",
    "universal_problems",
    "visibly_semantic",
]

PUT_SUCCESS: Final = frozenset({"AddDeviceSucceed", "RemoveDeviceSucceed"})
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def is_json_media_type(content_type: str) -> bool:
    """``application/json``, with any parameters (a charset is fine), case-insensitive."""
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def error_problem(ex: Exchange, statuses: Iterable[int] | None = None) -> str | None:
    """None when ``ex`` is an error response with one of ``statuses`` (default: any 4xx); else what
    is wrong with it, in a few words. An error response: a 4xx labelled application/json whose body
    has non-empty string ``errorCode`` and ``errorMessage``; for 401 only, the API gateway's
    ``{"fault": {"code", "message", …}}`` is allowed too."""
    allowed = set(statuses) if statuses is not None else set(range(400, 500))
    if ex.status is None:
        return f"no response ({ex.error})"
    if ex.status not in allowed or not 400 <= ex.status < 500:
        return f"status {ex.status}"
    if not is_json_media_type(ex.content_type):
        return f"Content-Type {ex.content_type or 'missing'}"
    data = ex.data
    if isinstance(data, dict):
        if _nonempty_str(data.get("errorCode")) and _nonempty_str(data.get("errorMessage")):
            return None
        fault = data.get("fault")
        if ex.status == 401 and isinstance(fault, dict) and "code" in fault and "message" in fault:
            return None
    return "body is not {errorCode, errorMessage}" + (" or a gateway fault" if ex.status == 401 else "")


@dataclass(frozen=True, slots=True)
class Problem:
    """One breach of a rule by one answer: the rule, a title, what was expected."""

    rule: str
    title: str
    expected: str


def universal_problems(ex: Exchange) -> list[Problem]:
    """The rules every answer of an API operation must meet (nothing for a request that got no
    answer: a transport failure is the sending check's business)."""
    if ex.status is None:
        return []
    out: list[Problem] = []
    if ex.status >= 500:
        out.append(Problem("WIRE-02", f"{ex.method} answered a server error", "no 5xx for any request"))
    json_ok = is_json_media_type(ex.content_type) and ex.is_json
    if not json_ok:
        out.append(Problem("WIRE-01", f"{ex.method} answered {ex.status} that is not JSON labelled "
                           "application/json", "a JSON body with Content-Type application/json"))
    elif 400 <= ex.status < 500 and (problem := error_problem(ex)) is not None:
        # The form of a refusal is the same whatever rule made it: judged here once, for all.
        out.append(Problem("WIRE-01", f"{ex.method} answered {ex.status} without an error response body "
                           f"({problem})", "{errorCode, errorMessage} (or the gateway fault for 401)"))
    return out


def items_of(ex: Exchange) -> list[dict[str, Any]] | None:
    """The ``deviceList`` items of a 200 answer (POST, PUT or GET), or None when it has none."""
    data = ex.data
    if not isinstance(data, dict) or not isinstance(data.get("deviceList"), list):
        return None
    items = data["deviceList"]
    return items if all(isinstance(i, dict) for i in items) else None


def device_ids(ex: Exchange) -> list[str] | None:
    """The deviceId of every item of an answer's deviceList (None when it has no list of objects)."""
    items = items_of(ex)
    return None if items is None else [str(i.get("deviceId")) for i in items]


def item_statuses(ex: Exchange) -> dict[str, str]:
    """deviceId → item status of a PUT/GET answer ({} when the body has no such items)."""
    return {str(i.get("deviceId")): str(i.get("status")) for i in items_of(ex) or []}


def reason_of(item: Mapping[str, Any]) -> object:
    """Any reason the item gives, whatever the spelling (PUT-07 judges the spelling separately)."""
    for key in ("Reason", "reason", "resultReason"):
        if _nonempty_str(item.get(key)):
            return item[key]
    return None


def reason_key_problem(ex: Exchange) -> dict[str, Any] | None:
    """PUT-07 (SHOULD): the first result item whose reason (given, or owed by a failed item) is not
    under ``Reason``; None when all are fine or the answer has no items."""
    return next((i for i in items_of(ex) or [] if "Reason" not in i
                 and (reason_of(i) is not None or i.get("status") not in PUT_SUCCESS)), None)


def schedule_answer_problems(request: Mapping[str, Any], ex: Exchange, *,
                             firmware_to: str | None = None) -> list[str]:
    """POST-01: what a 200 FirmwareUpgrade gets wrong about the valid request it answers — a UUID id,
    the request's fields, ``firmware_to`` (when the caller knows the firmware), RequestPending, one
    RequestPending item per requested IMEI."""
    data = ex.data
    if ex.status != 200:
        return [f"status {ex.status}"]
    if not isinstance(data, dict):
        return ["body not an object"]
    problems: list[str] = []
    if not is_uuid(data.get("id")):
        problems.append(f"id {data.get('id')!r} is not a UUID string")
    problems += [f"{k} {data.get(k)!r} instead of {request[k]!r}" for k in ("accountName", "firmwareName", "startDate")
                 if isinstance(request.get(k), str) and data.get(k) != request[k]]
    if firmware_to is not None and data.get("firmwareTo") != firmware_to:
        problems.append(f"firmwareTo {data.get('firmwareTo')!r} instead of {firmware_to!r}")
    if data.get("status") != Status.REQUEST_PENDING:
        problems.append(f"status {data.get('status')!r} instead of 'RequestPending'")
    items = items_of(ex)
    asked = request.get("deviceList")
    if items is None:
        problems.append("no deviceList of objects")
    elif isinstance(asked, list):
        got = [str(i.get("deviceId")) for i in items]
        if set(got) != {str(a) for a in asked} or len(got) != len(set(got)):
            problems.append(f"deviceList {got} instead of one item each for {asked}")
        pending = [i for i in items if i.get("status") != Status.REQUEST_PENDING]
        if pending:
            problems.append(f"device item {pending[0]} is not RequestPending")
    return problems


# --- the request-validity oracle --------------------------------------------------------------------

def _is_date(value: object) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def visibly_semantic(body: Mapping[str, Any]) -> bool:
    """The POST-04 problems a schedule request shows without a world: duplicate IMEIs, or an endDate
    before its startDate. A recording without its world can still tell these from a valid request."""
    devices = body.get("deviceList")
    if isinstance(devices, list) and all(isinstance(d, str) for d in devices) and len(set(devices)) != len(devices):
        return True
    start = _is_date(body.get("startDate")) if isinstance(body.get("startDate"), str) else None
    end = _is_date(body.get("endDate")) if isinstance(body.get("endDate"), str) else None
    return start is not None and end is not None and end < start


def schedule_validity(world: World, cred: Credential | None, body: object, today: date) -> str:
    """Classify a schedule request: ``"valid"``, ``"past-start"`` (valid but for a startDate before
    today: 200 or 400 both allowed), ``"structural"`` (POST-03: 400), ``"semantic"`` (POST-04: 400,
    or 200 RequestPending that fails later), ``"foreign"`` (AUTH-04: 4xx) or ``"auth"`` (no or bad
    credentials: 400/401)."""
    if cred is None:
        return "auth"
    if not isinstance(body, dict):
        return "structural"
    required = ("accountName", "firmwareName", "startDate", "deviceList")
    if any(k not in body for k in required):
        return "structural"
    for key in ("accountName", "firmwareName", "startDate", "endDate", "firmwareTo"):
        if key in body and not isinstance(body[key], str):
            return "structural"
    devices = body["deviceList"]
    if not isinstance(devices, list) or not devices or not all(isinstance(d, str) for d in devices):
        return "structural"
    start = _is_date(body["startDate"])
    end = _is_date(body["endDate"]) if "endDate" in body else None
    if start is None or ("endDate" in body and end is None):
        return "structural"
    if body["accountName"] not in cred.accounts:
        return "foreign"
    acc = world.account(body["accountName"])
    fw = acc.find_firmware(body["firmwareName"]) if acc else None
    if acc is None or fw is None or visibly_semantic(body):
        return "semantic"
    if any((d := acc.find_device(i)) is None or not d.fits(fw) for i in devices):
        return "semantic"
    if body.get("firmwareTo", fw.to_version) != fw.to_version:
        return "semantic"
    return "past-start" if start < today else "valid"
