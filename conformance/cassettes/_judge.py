"""Judging a recorded conversation offline: the rules whose evidence a recording holds.

A recording shows requests and answers, but not the world behind them (which IMEIs exist, which
token is valid) nor the target's clock. So only rules that can be judged from the exchanges alone
are judged; every other rule is ``skipped`` "not observable from a recording". Findings go to the
suite's ``Results``, so outcomes are derived exactly as in a live run (failed > warned > passed >
skipped), and reproductions are the same masked curl lines.

Rule mapping (also in cassettes/README.md):
- every API exchange: the suite's own universal judge (``oracle.universal_problems``, the same a
  live run applies to every answer): WIRE-01 (JSON body, ``application/json``), WIRE-02 (no 5xx),
  and for a 4xx the *error response* shape under WIRE-01 (a recording cannot tell *why* a request
  was refused, nor can a live run in general: the form of a refusal is judged once, for all);
- a POST/PUT whose body is not a JSON object: WIRE-05 (400 error response; 401/403 not judged, a
  target may check credentials first and a recording does not show whether they were valid);
- 200 bodies against openapi.yaml and the rules: POST → POST-01 (also: echoes the request,
  ``RequestPending``, one item per requested IMEI), PUT → PUT-01, GET → LIFE-04 (also: the fields
  given at creation and the device list after every successful append/remove, when the POST and
  PUTs are in the recording), DELETE → LIFE-06 (``{"success": true}``);
- a status outside the six: LIFE-01 (and not again under the body's schema rule);
- consecutive observations (POST 200, GET 200) of one upgrade id: LIFE-02;
- ids of POST 200: POST-02; PUT 200 items: PUT-07 (``oracle.reason_key_problem``, as live);
- POST-01's faithfulness: ``oracle.schedule_answer_problems``, as live (minus the firmware's
  ``toVersion``, which only the world knows);
- a PUT 200 after the campaign was seen started or terminal: PUT-04; a DELETE 200 of a campaign
  seen started or terminal, or a campaign seen starting or accepting a PUT after its DELETE 200: LIFE-06.

Order caveat: vcrpy appends an interaction when its response arrives, so for requests sent in
parallel the cassette order may differ from the order the target served them. The suite only
overlaps requests on one campaign in its concurrent-append check, whose GET follows all the PUTs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from conformance.cassettes._format import METADATA_KEY, RecordedCassette
from conformance.cassettes._format import Interaction as Ix
from conformance.spec.lifecycle import STARTED, STATUSES, TERMINAL, Status, is_allowed_change
from conformance.spec.openapi import response_validator
from conformance.spec.rules import RULES, Level
from conformance.suite.oracle import (
    error_problem,
    is_json_media_type,
    items_of,
    reason_key_problem,
    schedule_answer_problems,
    universal_problems,
    visibly_semantic,
)
from conformance.suite.results import REPORT_VERSION, Results, rule_entries, summary

__all__ = ["JUDGED", "NOT_OBSERVABLE", "judge"]

NOT_OBSERVABLE: Final = "not observable from a recording"
NOTHING_RECORDED: Final = "the recording holds no exchange this rule applies to"
#: The rules a recording can show evidence for; every other rule is skipped with NOT_OBSERVABLE.
JUDGED: Final = frozenset({"WIRE-01", "WIRE-02", "WIRE-05", "POST-01", "POST-02", "PUT-01", "PUT-04", "PUT-07",
                           "LIFE-01", "LIFE-02", "LIFE-04", "LIFE-06"})
CHECK: Final = "cassette"
_ITEM = "/upgrades/{accountName}/upgrade/{upgradeId}"
_ITEM_RE = re.compile(r"/upgrades/([^/]+)/upgrade/([^/]+)/?$")
#: Which rule a 200 body's conformance to openapi.yaml belongs to.
BODY_RULE: Final = {"POST": "POST-01", "PUT": "PUT-01", "GET": "LIFE-04", "DELETE": "LIFE-06"}


def _operation(ix: Ix) -> tuple[str, str | None, str | None] | None:
    """(openapi path, account, upgrade id) of an API operation; None for control and other calls."""
    path = ix.path
    if "/__control/" in path:
        return None
    if ix.method == "POST" and re.search(r"/upgrades/?$", path):
        return "/upgrades", None, None
    m = _ITEM_RE.search(path)
    if m and ix.method in ("GET", "PUT", "DELETE"):
        return _ITEM, m.group(1), m.group(2)
    return None


@dataclass
class _Campaign:
    """What the recording has shown of one upgrade id so far."""

    created: Ix | None = None
    last_status: str | None = None
    last_seen: Ix | None = None
    cancelled: Ix | None = None
    devices: set[str] | None = None
    #: Why each device is expected (in) or not expected (out): the PUT that changed it.
    changed_by: dict[str, tuple[str, Ix]] = field(default_factory=dict)


class _Judge:
    def __init__(self, results: Results) -> None:
        self.r = results
        self.campaigns: dict[str, _Campaign] = {}
        self.issued: dict[str, Ix] = {}

    def fail(self, rule_id: str, title: str, *, expected: str, actual: str, ixs: list[Ix]) -> None:
        self.r.fail(rule_id, CHECK, title, expected=expected, actual=actual, exchanges=[i.exchange() for i in ixs])

    def expect(self, rule_id: str, ok: bool, title: str, *, expected: str, ix: Ix, actual: str | None = None,
               also: list[Ix] | None = None) -> bool:
        self.r.exercised(rule_id, CHECK)
        if not ok:
            self.fail(rule_id, title, expected=expected, actual=actual or ix.exchange().outcome(),
                      ixs=[*(also or []), ix])
        return ok

    # --- per exchange ----------------------------------------------------------------------------
    def judge(self, ix: Ix, op: tuple[str, str | None, str | None]) -> None:
        path, _account, upgrade_id = op
        ex = ix.exchange()
        self.r.exercised("WIRE-01", CHECK)
        self.r.exercised("WIRE-02", CHECK)
        for p in universal_problems(ex):
            self.fail(p.rule, f"{p.title} ({ix.path})", expected=p.expected, actual=ex.outcome(), ixs=[ix])
        json_ok = is_json_media_type(ex.content_type) and ex.is_json
        if ix.method in ("POST", "PUT") and not isinstance(ix.request_data, dict) and ix.status not in (401, 403):
            problem = error_problem(ex, statuses=[400])
            self.expect("WIRE-05", problem is None, f"{ix.method} with a body that is not a JSON object",
                        expected="a 400 error response", actual=f"{problem}: {ex.outcome()}", ix=ix)
        if upgrade_id is not None and ix.method in ("PUT", "DELETE"):
            self.frozen(ix, upgrade_id)
        if ix.status == 200 and json_ok:
            self.schema(ix, path, ex.data)
            handler: dict[str, Callable[[Ix, Any, str | None], None]] = {
                "POST": self.posted, "GET": self.got, "PUT": self.put, "DELETE": self.deleted}
            handler[ix.method](ix, ex.data, upgrade_id)

    def schema(self, ix: Ix, path: str, data: Any) -> None:
        rule_id = BODY_RULE[ix.method]
        validator = response_validator(path, ix.method, 200)
        if validator is None:
            return
        self.r.exercised(rule_id, CHECK)
        for error in validator.iter_errors(data):
            # A status outside the six is LIFE-01's finding; reporting it twice would blur the verdict.
            if list(error.absolute_path) == ["status"] and error.validator == "enum":
                continue
            where = "/".join(str(p) for p in error.absolute_path) or "(body)"
            self.fail(rule_id, f"{ix.method} 200 body does not match openapi.yaml", expected="the documented schema",
                      actual=f"at {where}: {error.message}", ixs=[ix])
            break

    def status(self, ix: Ix, upgrade_id: str, status: object) -> None:
        """LIFE-01 on every status seen; LIFE-02 between consecutive observations of one campaign."""
        if not self.expect("LIFE-01", status in STATUSES, "a campaign status outside the six",
                           expected=", ".join(sorted(STATUSES)), actual=f"status {status!r}", ix=ix):
            return
        assert isinstance(status, str)
        c = self.campaigns.setdefault(upgrade_id, _Campaign())
        if c.cancelled is not None and status in STARTED - TERMINAL | {Status.FINISHED}:
            self.expect("LIFE-06", False, "a cancelled campaign started", expected="it never starts after DELETE 200",
                        actual=f"status {status}", ix=ix, also=[c.cancelled])
        if c.last_status is not None and c.last_seen is not None:
            before = Status(c.last_status)
            ok = is_allowed_change(before, Status(status))
            title = ("a terminal status changed" if before in TERMINAL else "a status change that is not an edge")
            self.expect("LIFE-02", ok, title, expected=f"{before} or a status reachable from it",
                        actual=f"{before} → {status}", ix=ix, also=[c.last_seen])
        c.last_status, c.last_seen = status, ix

    def posted(self, ix: Ix, data: Any, _id: str | None) -> None:
        if not isinstance(data, dict):
            return
        upgrade_id = data.get("id")
        self.r.exercised("POST-02", CHECK)
        if isinstance(upgrade_id, str):
            if upgrade_id in self.issued:
                self.fail("POST-02", "POST issued an id twice", expected="a new id for every accepted request",
                          actual=f"id {upgrade_id} again", ixs=[self.issued[upgrade_id], ix])
            self.issued.setdefault(upgrade_id, ix)
        self.post_echo(ix, data)
        if isinstance(upgrade_id, str):
            c = self.campaigns[upgrade_id] = _Campaign(created=ix)
            request = ix.request_data if isinstance(ix.request_data, dict) else {}
            asked = request.get("deviceList", request.get("devicelist"))
            if isinstance(asked, list) and all(isinstance(d, str) for d in asked):
                c.devices = set(asked)
            self.status(ix, upgrade_id, data.get("status"))

    def post_echo(self, ix: Ix, data: dict[str, Any]) -> None:
        """POST-01's faithfulness: what the recorded request asked for comes back, RequestPending."""
        request = ix.request_data if isinstance(ix.request_data, dict) else {}
        if visibly_semantic(request):
            # Not a valid request: accepting it is POST-04's "accepted, then RequestFailed" branch,
            # and POST-01's faithfulness does not apply (a target may e.g. list a duplicate once).
            return
        wrong = schedule_answer_problems(request, ix.exchange())
        self.expect("POST-01", not wrong, "POST 200 is not a faithful RequestPending FirmwareUpgrade",
                    expected="the request's fields, status RequestPending, one RequestPending item per IMEI",
                    actual="; ".join(wrong), ix=ix)

    def got(self, ix: Ix, data: Any, upgrade_id: str | None) -> None:
        if not isinstance(data, dict) or upgrade_id is None:
            return
        c = self.campaigns.setdefault(upgrade_id, _Campaign())
        if c.created is not None:
            created = c.created
            request = created.request_data if isinstance(created.request_data, dict) else {}
            answer = created.exchange().data
            given = {"id": upgrade_id, **{k: request[k] for k in ("accountName", "firmwareName", "startDate")
                                          if isinstance(request.get(k), str)}}
            if isinstance(answer, dict) and isinstance(answer.get("firmwareTo"), str):
                given["firmwareTo"] = answer["firmwareTo"]
            wrong = [f"{k} {data.get(k)!r} (given {v!r})" for k, v in given.items() if data.get(k) != v]
            self.expect("LIFE-04", not wrong, "GET does not return what was given at creation",
                        expected="id, accountName, firmwareName, firmwareTo, startDate as created",
                        actual="; ".join(wrong), ix=ix, also=[created])
        items = data.get("deviceList")
        if c.devices is not None and isinstance(items, list):
            listed = {str(i.get("deviceId")) for i in items if isinstance(i, dict)}
            self.r.exercised("LIFE-04", CHECK)
            for imei in sorted(listed ^ c.devices):
                why = c.changed_by.get(imei)
                expected = "listed" if imei in c.devices else "not listed"
                actual = f"device {imei} is {'listed' if imei in listed else 'missing'}"
                ixs = [why[1]] if why else [c.created] if c.created else []
                self.fail("LIFE-04", "GET's deviceList does not reflect creation and every change",
                          expected=f"device {imei} {expected}", actual=actual, ixs=[*ixs, ix])
                if why is not None:  # the PUT said it succeeded; "from then on" is PUT-01/02's own text
                    rule_id = "PUT-01" if why[0] == "append" else "PUT-02"
                    self.fail(rule_id, f"a successful {why[0]} did not last", expected=f"device {imei} {expected}",
                              actual=actual, ixs=[why[1], ix])
            c.devices = listed  # judge later GETs against this one, not the same difference again
        self.status(ix, upgrade_id, data.get("status"))

    def put(self, ix: Ix, data: Any, upgrade_id: str | None) -> None:
        ex = ix.exchange()
        items = items_of(ex)
        if items:
            # PUT-07 exactly as a live run judges it.
            bad = reason_key_problem(ex)
            self.r.exercised("PUT-07", CHECK)
            if bad is not None:
                self.r.fail("PUT-07", CHECK, "a PUT result item carries no Reason key",
                            expected="every result item's reason under the key Reason (capital R)",
                            actual=f"item {bad}", exchanges=[ex], severity=Level.SHOULD)
        if upgrade_id is None:
            return
        c = self.campaigns.setdefault(upgrade_id, _Campaign())
        request = ix.request_data if isinstance(ix.request_data, dict) else {}
        kind = request.get("type")
        if c.devices is None or kind not in ("append", "remove"):
            return
        for item in items or []:
            imei, status = item.get("deviceId"), item.get("status")
            if isinstance(imei, str) and status == "AddDeviceSucceed":
                c.devices.add(imei)
                c.changed_by[imei] = ("append", ix)
            elif isinstance(imei, str) and status == "RemoveDeviceSucceed":
                c.devices.discard(imei)
                c.changed_by[imei] = ("remove", ix)

    def frozen(self, ix: Ix, upgrade_id: str) -> None:
        """PUT-04 / LIFE-06: a PUT or DELETE on a campaign last seen started or terminal (statuses only
        move forward, so it still is) must be a 400 error response; so must a PUT after a DELETE 200.
        401/403 are not judged: the recording cannot show whether the credentials were valid."""
        c = self.campaigns.get(upgrade_id)
        if c is None or ix.status in (401, 403):
            return
        ex = ix.exchange()
        if c.last_status in STARTED | TERMINAL and c.last_seen is not None:
            rule_id = "PUT-04" if ix.method == "PUT" else "LIFE-06"
            problem = error_problem(ex, statuses=[400])
            self.expect(rule_id, problem is None, f"{ix.method} on a {c.last_status} campaign",
                        expected="a 400 error response", actual=f"{problem}: {ex.outcome()}", ix=ix,
                        also=[c.last_seen])
        elif c.cancelled is not None and ix.method == "PUT":
            problem = error_problem(ex)
            self.expect("LIFE-06", problem is None, "PUT on a cancelled campaign", expected="a 4xx error response",
                        actual=f"{problem}: {ex.outcome()}", ix=ix, also=[c.cancelled])

    def deleted(self, ix: Ix, data: Any, upgrade_id: str | None) -> None:
        self.expect("LIFE-06", isinstance(data, dict) and data.get("success") is True, "DELETE 200 body",
                    expected='{"success": true}', ix=ix)
        if upgrade_id is None:
            return
        c = self.campaigns.setdefault(upgrade_id, _Campaign())
        c.cancelled = ix
        # A cancelled campaign leaves the timing (docs/simulator-contract.md#lifecycle-timing): a later
        # terminal "cancelled" status is LIFE-06's business, so LIFE-02's chain starts again from the
        # next observation.
        c.last_status = c.last_seen = None


def judge(cassette: RecordedCassette) -> dict[str, Any]:
    """The report of a recorded conversation, shaped like ``run_suite``'s."""
    results = Results()
    j = _Judge(results)
    api = control = other = 0
    for ix in cassette.interactions:
        op = _operation(ix)
        if op is not None:
            api += 1
            j.judge(ix, op)
        elif "/__control/" in ix.path:
            control += 1
        else:
            other += 1
    for rule_id in RULES:
        results.skip(rule_id, NOTHING_RECORDED if rule_id in JUDGED else NOT_OBSERVABLE)
    verdicts = results.verdicts()
    rules = rule_entries(verdicts)
    return {
        "report_version": REPORT_VERSION,
        "conformant": not any(v["outcome"] == "failed" for v in rules.values()),
        "target": str(cassette.path),
        "control_plane": control > 0,
        "source": "cassette",
        "cassette_format": cassette.format,
        "recorded_by": "fota-conformance" if METADATA_KEY in cassette.metadata else
        cassette.kind if cassette.kind != "vcrpy" else None,
        "requests": len(cassette.interactions),
        "api_requests": api,
        "control_requests": control,
        "other_requests": other,
        "summary": summary(verdicts),
        "rules": rules,
    }
