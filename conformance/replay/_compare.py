"""One recorded answer against another answer to the same request: what differs, and which rule it touches.

Shared by ``replay`` (recording vs. the target's answer now) and ``diff`` (an old recording vs. a new
one), so that both name a difference the same way and attribute it to the same rule.

A recording does not say *why* a request was sent, so the rule an interaction is evidence for is
read from the request and from what the recording has shown so far (``Story``): a POST whose body
breaks the documented schema is POST-03's, one that fits it but was refused is POST-04's; a PUT on a
campaign last seen started is PUT-04's; a GET after a DELETE 200 is LIFE-06's; a 401 is AUTH-01's
(no Bearer) or AUTH-02's; and so on. Where the rules allow several behaviours (POST-04, PUT-03,
PUT-05, AUTH-03, LIFE-06, POST-05), the *branch* each side took is named as the suite names it, and a
change from one allowed branch to another is a difference marked ``allowed``: still conformant, but
a client that relied on the old branch breaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Final
from urllib.parse import urlsplit

from conformance.spec.lifecycle import OPEN, STARTED, TERMINAL, Status, is_allowed_change
from conformance.spec.openapi import request_validator, response_validator
from conformance.spec.world import World, WorldError, parse_instant
from conformance.suite.http import Exchange
from conformance.suite.oracle import PUT_SUCCESS, error_problem, is_json_media_type, schedule_validity

__all__ = ["ITEM", "STATUSES", "Difference", "Op", "Story", "attribute", "branch_of", "classify", "compare",
           "evidence", "refusal", "same_path"]

ITEM: Final = "/upgrades/{accountName}/upgrade/{upgradeId}"
_ITEM_RE = re.compile(r"^(.*?)/upgrades/([^/]+)/upgrade/([^/]+)/?$")
_POST_RE = re.compile(r"^(.*?)/upgrades/?$")
_CONTROL_RE = re.compile(r"^(.*?)/__control/(clock|world)/?$")
STATUSES: Final = frozenset(s.value for s in Status)
#: The fields of a 200 answer that must say the same whatever the target (after mapping by role).
MUST_MATCH: Final = {
    "POST": ("accountName", "firmwareName", "firmwareTo", "startDate", "status"),
    "GET": ("id", "accountName", "firmwareName", "firmwareTo", "startDate", "status"),
    "PUT": ("id", "accountName"),
    "DELETE": ("success",),
}
#: Rules satisfied by any 4xx error response (PUT-05 only SHOULD be 400: its own check warns).
ANY_4XX: Final = frozenset({"AUTH-04", "LIFE-06", "PUT-05"})
#: Which rule a 200 answer's form belongs to (as in the cassette judge).
BODY_RULE: Final = {"POST": "POST-01", "PUT": "PUT-01", "GET": "LIFE-04", "DELETE": "LIFE-06"}


@dataclass(frozen=True, slots=True)
class Op:
    """What a recorded request is: an API operation, a control-plane call, or something else."""

    kind: str  # "api" | "control" | "other"
    template: str  # "/upgrades", ITEM, "/__control/clock", "/__control/world", or the raw path
    base_path: str = ""  # the part of the path before the template (e.g. "/api/fota/v1")
    account: str | None = None
    upgrade_id: str | None = None


def classify(method: str, url: str) -> Op:
    path = urlsplit(url).path
    if m := _CONTROL_RE.match(path):
        return Op("control", f"/__control/{m.group(2)}", m.group(1))
    if method == "POST" and (m := _POST_RE.match(path)):
        return Op("api", "/upgrades", m.group(1))
    if method in ("GET", "PUT", "DELETE") and (m := _ITEM_RE.match(path)):
        return Op("api", ITEM, m.group(1), m.group(2), m.group(3))
    return Op("other", path)


@dataclass(frozen=True, slots=True)
class Difference:
    """One behavioural difference between the old (recorded) answer and the new one."""

    #: The rule it touches; None when no rule speaks about it (an errorCode text, an extra field).
    rule: str | None
    kind: str  # "status", "error or success", "branch", "field", "field appeared", "field vanished", …
    what: str
    old: str
    new: str
    #: Both sides are behaviours the rule allows (another branch): conformant, but clients may notice.
    allowed: bool = False
    where: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        tag = " (another allowed branch)" if self.allowed else ""
        return f"{self.where + ': ' if self.where else ''}{self.kind} {self.what}: {self.old} → {self.new}{tag}"


@dataclass
class _Seen:
    status: str | None = None
    cancelled: bool = False
    valid_request: bool = True
    account: str | None = None
    #: IMEI → "append" | "remove": the last successful change of that device.
    changed: dict[str, str] = field(default_factory=dict)
    #: Where the other side took another allowed branch on this campaign: from then on its state may
    #: legitimately differ, and differences on it are consequences (allowed), not new findings.
    diverged_at: str | None = None


@dataclass
class Story:
    """What one side's conversation has shown so far (the recording, in a replay)."""

    campaigns: dict[str, _Seen] = field(default_factory=dict)
    #: Ids the whole conversation shows ending RequestFailed: their POST took POST-04's "accepted,
    #: then RequestFailed" branch (known up front: the POST comes before the GET that shows it).
    doomed: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, exchanges: Iterable[Exchange]) -> Story:
        story = cls()
        for ex in exchanges:
            data = ex.data if ex.method == "GET" and ex.status == 200 else None
            if isinstance(data, dict) and data.get("status") == Status.REQUEST_FAILED:
                story.doomed.add(str(data.get("id")))
        return story

    #: The world behind the conversation (its last recorded world load; a replay without one: --world)
    #: and its clock's date, so that a schedule request can be classified as the suite does.
    world: World | None = None
    today: date | None = None

    def observe(self, method: str, op: Op, ex: Exchange) -> None:
        if op.kind == "control" and method == "PUT" and ex.status is not None and 200 <= ex.status < 300:
            self._control(op, ex)
            return
        data = ex.data if ex.status == 200 else None
        if op.kind != "api" or not isinstance(data, dict):
            return
        if method == "POST" and isinstance(data.get("id"), str):
            self.campaigns[data["id"]] = _Seen(status=_str(data.get("status")), account=_str(data.get("accountName")),
                                               valid_request=_schema_ok(method, op, _body(ex)))
        elif op.upgrade_id is not None:
            seen = self.campaigns.setdefault(op.upgrade_id, _Seen())
            if method == "GET" and isinstance(data.get("status"), str):
                seen.status = data["status"]
            elif method == "DELETE" and data.get("success") is True:
                seen.cancelled = True
            elif method == "PUT":
                for item in _items(ex):
                    if item.get("status") in PUT_SUCCESS and isinstance(item.get("deviceId"), str):
                        seen.changed[item["deviceId"]] = "remove" if item["status"] == "RemoveDeviceSucceed" \
                            else "append"

    def _control(self, op: Op, ex: Exchange) -> None:
        body = _body(ex)
        if op.template == "/__control/world":
            self.campaigns.clear()  # SIM-01: a world load replaces all state
            try:
                self.world = World.from_json(body)
            except (WorldError, ValueError):
                self.world = None
            self.today = self.world.today if self.world else None
        elif isinstance(body, dict):
            with suppress(WorldError):
                self.today = parse_instant(body.get("now")).date()

    def seen(self, upgrade_id: str | None) -> _Seen | None:
        return self.campaigns.get(upgrade_id) if upgrade_id is not None else None

    def diverge(self, upgrade_id: str | None, where: str) -> None:
        seen = self.seen(upgrade_id)
        if seen is not None and seen.diverged_at is None:
            seen.diverged_at = where

    def validity(self, body: Any) -> str | None:
        """The suite's classification of a schedule request (oracle.schedule_validity), None without a world."""
        if self.world is None or self.today is None or not isinstance(body, dict):
            return None
        account = body.get("accountName")
        cred = self.world.credential_for(account) if isinstance(account, str) else None
        return schedule_validity(self.world, cred or (self.world.credentials[0] if self.world.credentials else None),
                                 body, self.today)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _body(ex: Exchange) -> Any:
    try:
        return json.loads(ex.request_body) if ex.request_body else None
    except (ValueError, RecursionError):
        return None


def _schema_ok(method: str, op: Op, body: Any) -> bool:
    validator = request_validator(op.template, method)
    return validator is None or not any(True for _ in validator.iter_errors(body))


def refusal(ex: Exchange) -> str | None:
    """What a recorded refusal is about, read from its error body: "token" (``…SessionToken.Missing``,
    "VZ-M2M-Token …"), "account" (``…AccountNotFound``, "not accessible"), or None."""
    data = ex.data
    if not isinstance(data, dict):
        return None
    code = str(data.get("errorCode") or "").lower()
    text = code or str(data.get("errorMessage") or "").lower()  # the code says it best, when there is one
    if "token" in text:
        return "missing token" if "missing" in text else "token"
    return "account" if "account" in text else None


def _auth_rule(ex: Exchange) -> str | None:
    headers = {k.lower(): v for k, v in ex.request_headers.items()}
    status = ex.status
    if status == 401:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return "AUTH-01"
        return "AUTH-02" if "vz-m2m-token" in headers else "AUTH-03"
    if status == 403:
        return "AUTH-04"
    about = refusal(ex) if status in (400, 404) else None
    if status == 400 and "authorization" in headers and ("vz-m2m-token" not in headers or about == "token"
                                                           or about == "missing token"):
        return "AUTH-03"
    if about == "account":
        return "AUTH-04"  # refused as another account's (or no account's) data
    return None


def attribute(method: str, op: Op, old: Exchange, story: Story) -> str:
    """The rule the recorded interaction ``old`` is evidence for (see the module docstring)."""
    if op.kind == "control":
        return "SIM-01" if op.template.endswith("world") else "SIM-02"
    if (rule := _auth_rule(old)) is not None:
        return rule
    body = _body(old)
    if method in ("POST", "PUT") and not isinstance(body, dict):
        return "WIRE-05"
    seen = story.seen(op.upgrade_id)
    if method == "POST":
        if "devicelist" in body and "deviceList" not in body:
            return "POST-05"
        validity = story.validity(body)
        if validity == "past-start":  # neither valid nor invalid: an accepted one is judged like a valid one
            return "POST-01" if old.status == 200 else "POST-03"
        if validity is not None:  # the world is known: classify the request as the suite does
            return {"valid": "POST-01", "structural": "POST-03", "semantic": "POST-04",
                    "foreign": "AUTH-04"}.get(validity, "AUTH-02")
        if old.status == 200:
            data = old.data
            doomed = isinstance(data, dict) and data.get("id") in story.doomed
            return "POST-04" if doomed else "POST-01"
        return "POST-03" if not _schema_ok(method, op, body) else "POST-04"
    if op.upgrade_id is not None and seen is None and old.status != 200:
        return "PUT-05"  # an id this conversation never saw issued
    if seen is not None and seen.account is not None and op.account != seen.account and old.status != 200:
        return "AUTH-04"  # another account's upgrade, through this account's path
    if method == "PUT":
        if old.status != 200 and not _schema_ok(method, op, body):
            return "PUT-06"  # (a 200 shows the target took it as per-device problems: PUT-03's business)
        if seen is not None and seen.cancelled:
            return "LIFE-06"
        if seen is not None and seen.status in STARTED | TERMINAL:
            return "PUT-04"
        if old.status != 200 or any(i.get("status") not in PUT_SUCCESS for i in _items(old)):
            return "PUT-03"
        return "PUT-02" if body.get("type") == "remove" else "PUT-01"
    if method == "DELETE" or (seen is not None and seen.cancelled):
        return "LIFE-06"
    return "LIFE-04"


def evidence(rule: str, method: str, old: Exchange) -> list[str]:
    """Every rule a comparison with the recorded answer ``old`` exercises (a replay passes them when
    the answers agree): the interaction's own rule, the form of every answer, and what a 200 shows."""
    out = [rule, "WIRE-01", "WIRE-02"]
    if old.status == 200:
        if method in ("POST", "GET"):
            out += ["LIFE-01", "LIFE-02"] if method == "GET" else ["LIFE-01"]
        if method == "PUT" and _items(old):
            out.append("PUT-07")
    return list(dict.fromkeys(out))


def branch_of(rule: str, method: str, ex: Exchange, *, past_start: bool = False) -> str | None:
    """The allowed behaviour ``ex`` shows for ``rule`` (the suite's branch names), None when it shows
    none of them (then a difference is a plain one)."""
    status = ex.status
    if status is None:
        return None
    is_error = 400 <= status < 500 and error_problem(ex) is None
    if past_start:  # a startDate before today: 400 or 200, both allowed (docs/rules.md, Terms)
        return "past startDate refused with 400" if status == 400 and is_error else \
            "past startDate accepted" if status == 200 else None
    if rule == "POST-04":
        return "refused at once" if status == 400 and is_error else "accepted, then RequestFailed" \
            if status == 200 else None
    if rule == "POST-05":
        return "refused with 400" if status == 400 and is_error else "alias accepted" if status == 200 else None
    if rule == "PUT-03":
        if status == 400 and is_error:
            return "whole request refused with 400"
        items = _items(ex)
        return "failed item in a 200" if status == 200 and any(i.get("status") not in PUT_SUCCESS
                                                               for i in items) else None
    if rule == "PUT-05":
        return None if not is_error else "400" if status == 400 else f"other 4xx ({status})"
    if rule == "AUTH-03":
        return f"refused with {status}" if status in (400, 401) and is_error else None
    if rule == "LIFE-06" and method == "GET":
        if is_error:
            return "cancelled campaign answers 4xx"
        data = ex.data
        if status == 200 and isinstance(data, dict) and data.get("status") in TERMINAL:
            return "cancelled campaign shows a terminal failed status"
    return None


def _items(ex: Exchange) -> list[dict[str, Any]]:
    data = ex.data
    items = data.get("deviceList") if isinstance(data, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _show(value: object) -> str:
    return "absent" if value is _ABSENT else json.dumps(value, ensure_ascii=False)


_ABSENT: Final = object()


def _status_rule(seen: _Seen | None, old: object, new: object) -> str:
    """Who speaks about a change of campaign status between two answers."""
    if new not in STATUSES or old not in STATUSES:
        return "LIFE-01"
    if seen is not None and seen.cancelled:
        return "LIFE-06"
    if Status.REQUEST_FAILED in (old, new) and seen is not None and not seen.valid_request:
        return "POST-04"
    if old in OPEN and new in STARTED:
        return "LIFE-03"  # started where the recording, at the same clock, had not yet
    if old in STARTED and new in OPEN:
        return "SIM-04"  # not started where the recording had, at the same clock
    return "LIFE-02"


def same_path(old: object, new: object) -> bool:
    """Both statuses lie on one allowed path (one may simply be seen earlier than the other)."""
    if old == new:
        return True
    if old not in STATUSES or new not in STATUSES:
        return False
    return is_allowed_change(Status(old), Status(new)) or is_allowed_change(Status(new), Status(old))


def compare(method: str, op: Op, old: Exchange, new: Exchange, story: Story, *,
            exact_status: bool = True) -> tuple[str, list[Difference]]:
    """(the rule ``old`` is evidence for, every difference of ``new`` from it).

    ``old`` must already speak the new side's vocabulary (ids, accounts, devices, dates mapped by
    role). ``exact_status=False``: campaign statuses only need to lie on one allowed path (a target
    whose clock the replay cannot move shows them earlier or later).
    """
    rule = attribute(method, op, old, story)
    found = list(_differences(rule, method, op, old, new, story, exact_status))
    seen = story.seen(op.upgrade_id)
    if seen is not None and seen.diverged_at is not None:
        after = f"(follows from the branch taken at {seen.diverged_at})"
        found = [replace(d, allowed=True, what=f"{d.what} {after}".strip()) for d in found]
    return rule, found


def _differences(rule: str, method: str, op: Op, old: Exchange, new: Exchange, story: Story,
                 exact_status: bool) -> Iterator[Difference]:
    if new.status is None:
        yield Difference(rule, "no answer", "", str(old.status), new.error or "no response")
        return
    assert old.status is not None
    if new.status >= 500 and old.status < 500:
        yield Difference("WIRE-02", "status", "", str(old.status), str(new.status))
        return
    old_json = is_json_media_type(old.content_type) and old.is_json
    if old_json and not (is_json_media_type(new.content_type) and new.is_json):
        yield Difference("WIRE-01", "content", "", f"JSON ({old.content_type})",
                         f"{new.content_type or 'no Content-Type'} {new.body_text(80)}")
        return
    if old.status != new.status:
        past = method == "POST" and story.validity(_body(old)) == "past-start"
        b_old, b_new = branch_of(rule, method, old, past_start=past), branch_of(rule, method, new, past_start=past)
        if b_old is not None and b_new is not None and b_old != b_new:
            yield Difference(rule, "branch", "", b_old, b_new, allowed=True)
            return
        kind = "status" if old.status // 100 == new.status // 100 else "error or success"
        # Rules that ask for "a 4xx error response": one 4xx for another is still what they allow.
        allowed = rule in ANY_4XX and kind == "status" and error_problem(old) is None and error_problem(new) is None
        yield Difference(rule, kind, "", f"{old.status}", f"{new.status} {new.body_text(120)}".rstrip(),
                         allowed=allowed)
        if kind != "status":
            return
    if 400 <= new.status < 500:
        if error_problem(old) is None and (problem := error_problem(new)) is not None:
            yield Difference("WIRE-01", "error body", "", "an error response", problem)
        o, n = old.data, new.data
        if isinstance(o, dict) and isinstance(n, dict) and o.get("errorCode") != n.get("errorCode"):
            # No rule names error codes: reported, but it does not touch a rule.
            yield Difference(None, "error code", "", _show(o.get("errorCode", _ABSENT)),
                             _show(n.get("errorCode", _ABSENT)))
        return
    if new.status != 200 or old.status != 200:
        return
    yield from _success(rule, method, op, old, new, story, exact_status)


def _success(rule: str, method: str, op: Op, old: Exchange, new: Exchange, story: Story,
             exact_status: bool) -> Iterator[Difference]:
    o, n = old.data, new.data
    if not isinstance(o, dict) or not isinstance(n, dict):
        if o != n:
            yield Difference(rule, "body", "", _short(o), _short(n))
        return
    body_rule = rule if rule.startswith(("PUT-", "POST-")) or method == "DELETE" else BODY_RULE[method]
    validator = response_validator(op.template, method, 200)
    if validator is not None:
        errors_new = [e for e in validator.iter_errors(n) if list(e.absolute_path) != ["status"]]
        if errors_new and not any(True for _ in validator.iter_errors(o)):
            where = "/".join(str(p) for p in errors_new[0].absolute_path) or "(body)"
            yield Difference(body_rule, "schema", f"at {where}", "matches openapi.yaml", errors_new[0].message)
    seen = story.seen(op.upgrade_id)
    for key in MUST_MATCH[method]:
        ov, nv = o.get(key, _ABSENT), n.get(key, _ABSENT)
        if key == "status":
            if ov == nv or (not exact_status and same_path(ov, nv)):
                continue
            yield Difference(_status_rule(seen, ov, nv) if method == "GET" else body_rule, "campaign status", "",
                             _show(ov), _show(nv))
        elif ov != nv:
            kind = "field vanished" if nv is _ABSENT else "field appeared" if ov is _ABSENT else "field"
            yield Difference(body_rule, kind, key, _show(ov), _show(nv))
    for key in sorted(set(o) ^ set(n)):
        if key in MUST_MATCH[method] or key == "deviceList":
            continue
        # Keys no rule asks for (extra fields are allowed): reported, touching no rule.
        kind = "field vanished" if key in o else "field appeared"
        yield Difference(None, kind, key, _show(o.get(key, _ABSENT)), _show(n.get(key, _ABSENT)))
    for d in _devices(rule, body_rule, method, o, n, exact_status):
        yield d
        change = seen.changed.get(d.what) if seen is not None and method == "GET" else None
        if change is not None and d.kind in ("device item appeared", "device item vanished"):
            # A successful change that did not last: "from then on" is PUT-01/PUT-02's own text.
            yield replace(d, rule="PUT-01" if change == "append" else "PUT-02",
                          kind=f"device after a successful {change}")


def _devices(rule: str, body_rule: str, method: str, o: Mapping[str, Any], n: Mapping[str, Any],
             exact_status: bool) -> Iterator[Difference]:
    olist, nlist = o.get("deviceList"), n.get("deviceList")
    if not isinstance(olist, list) or not isinstance(nlist, list):
        if olist != nlist:
            yield Difference(body_rule, "field", "deviceList", _short(olist), _short(nlist))
        return
    oi = {str(i.get("deviceId")): i for i in olist if isinstance(i, dict)}
    ni = {str(i.get("deviceId")): i for i in nlist if isinstance(i, dict)}
    for imei in [*oi, *(d for d in ni if d not in oi)]:
        a, b = oi.get(imei), ni.get(imei)
        if a is None or b is None:
            yield Difference(body_rule, "device item appeared" if a is None else "device item vanished", imei,
                             "listed" if a else "not listed", "listed" if b else "not listed")
            continue
        sa, sb = a.get("status"), b.get("status")
        if sa != sb and (exact_status or method != "GET" or not same_path(sa, sb)):
            item_rule = body_rule
            if method == "PUT" and (sa not in PUT_SUCCESS or sb not in PUT_SUCCESS):
                item_rule = "PUT-03"
            yield Difference(item_rule, "device status", imei, _show(sa), _show(sb))
        if method == "PUT" and ("Reason" in a) != ("Reason" in b):
            yield Difference("PUT-07", "field vanished" if "Reason" in a else "field appeared",
                             f"Reason of device {imei}", "present" if "Reason" in a else "absent",
                             "present" if "Reason" in b else "absent")
        for key in sorted((set(a) ^ set(b)) - {"Reason"}):
            yield Difference(None, "field vanished" if key in a else "field appeared", f"{key} of device {imei}",
                             _show(a.get(key, _ABSENT)), _show(b.get(key, _ABSENT)))


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:120] + "…"
