"""Schema conformance: schemathesis generates requests from openapi.yaml (positive and negative),
and its standard checks judge the answers — with the expected status set decided per case by an
oracle that knows the world and the campaign's state, so that a correct refusal is never a failure.

How a case is made real: schemathesis draws the *shape* (which optional fields, which negation);
the check then puts the world in it — alpha's credentials in the headers, alpha's account and the
upgrade id of a campaign created here in the path, and, for positive bodies, alpha's firmware and
fresh fitting devices — so that a positive case is a valid request, not just a schema-valid one.
Generation is bounded (``settings.examples``) and seeded (``settings.seed``), and runs before any
request is sent, so the run is deterministic and fast.

Every answer is judged for WIRE-01/02 and the error-response shape by ``ctx.calls`` (once, as any
other check's); schemathesis's own checks add the rest, mapped to rules: a schema-invalid
or unexpected answer → the rule that governs that answer (POST-01, PUT-01, LIFE-04, LIFE-06 for
successes; POST-03/PUT-06 for structural refusals; POST-04/PUT-03 for semantic ones; PUT-05 and
AUTH-04 for unknown and foreign ids).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, seed, settings

from conformance.spec.openapi import load_openapi
from conformance.suite.checks import HYPOTHESIS_LOCK
from conformance.suite.context import BudgetExhausted, Ctx, NotEnoughDevices
from conformance.suite.http import Exchange
from conformance.suite.oracle import schedule_validity
from conformance.suite.registry import check
from conformance.suite.toolkit import Calls, Campaign, open_campaign

_ITEM = "/upgrades/{accountName}/upgrade/{upgradeId}"
_OK_SUCCESS_RULE = {"POST": "POST-01", "PUT": "PUT-01", "GET": "LIFE-04", "DELETE": "LIFE-06"}


@cache
def _schema() -> Any:
    import schemathesis  # imported here: it takes a second, and only this check needs it

    return schemathesis.openapi.from_dict(copy.deepcopy(load_openapi()))


#: Generation runs with placeholders for everything world-specific (the real values are put in
#: when a case is sent), so drawn cases can be cached and reused by every run in a process.
_PLACEHOLDER_AUTH = {"Authorization": "Bearer placeholder", "VZ-M2M-Token": "placeholder"}
_PLACEHOLDER_PATH = {"accountName": "0000000000-00000", "upgradeId": "00000000-0000-4000-8000-000000000000"}
_POSITIVE_BODY: dict[str, dict[str, Any]] = {
    "POST": {"accountName": "0000000000-00000", "firmwareName": "placeholder", "startDate": "2030-01-01",
             "deviceList": ["000000000000000"]},
    "PUT": {"type": "append", "deviceList": ["000000000000000"]},
}


@cache
def _cases(path: str, method: str, negative: bool, n: int, seed_value: int) -> tuple[Any, ...]:
    """``n`` cases for one operation and mode, reproducibly for ``seed_value``, sending nothing."""
    from schemathesis import GenerationMode

    mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
    kwargs: dict[str, Any] = {"headers": dict(_PLACEHOLDER_AUTH)}
    if not negative and method in _POSITIVE_BODY:
        # A positive body is rebuilt from the world before it is sent (see post/put below), so
        # drawing one (15-digit patterns, dates) would cost a second per process for nothing;
        # which optional fields a positive request carries is varied by the case's index instead.
        kwargs["body"] = copy.deepcopy(_POSITIVE_BODY[method])
    if method == "PUT":
        kwargs["path_parameters"] = dict(_PLACEHOLDER_PATH)
    elif not negative and method != "POST":
        kwargs["path_parameters"] = {"accountName": _PLACEHOLDER_PATH["accountName"]}
    out: list[Any] = []

    @seed(seed_value)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(_schema()[path][method].as_strategy(mode, **kwargs))
    def collect(case: Any) -> None:
        out.append(case)

    with HYPOTHESIS_LOCK:
        collect()
    if not negative and method in _POSITIVE_BODY:
        # Hypothesis stops at the distinct cases, and a fixed body leaves few; each case is only a
        # template whose body is rebuilt per index, so reusing it keeps n positive requests.
        out = [out[i % len(out)] for i in range(n)]
    return tuple(out[:n])


class _Explorer:
    def __init__(self, ctx: Ctx, calls: Calls, campaign: Campaign) -> None:
        self.ctx = ctx
        self.calls = calls
        self.c = campaign
        self.auth = {"Authorization": f"Bearer {ctx.alpha.bearer}", "VZ-M2M-Token": ctx.alpha.m2m}
        self.appended: list[str] = []

    # --- sending ---------------------------------------------------------------------------------
    def send(self, case: Any, body: Any, params: dict[str, Any]) -> Exchange:
        from schemathesis.core import NOT_SET

        account, upgrade_id = (quote(str(params.get(k)), safe="") for k in ("accountName", "upgradeId"))
        kwargs: dict[str, Any] = {"creds": None, "headers": self.auth}
        if body is NOT_SET:
            kwargs.update(raw=b"", content_type=None)
        elif isinstance(body, bytes):
            kwargs.update(raw=body)
        else:
            try:
                kwargs.update(raw=json.dumps(body).encode())
            except (TypeError, ValueError):
                kwargs.update(raw=repr(body).encode())
        if case.method == "POST":
            return self.calls.schedule(**kwargs)
        if case.method == "PUT":
            return self.calls.change(account, upgrade_id, **kwargs)
        if case.method == "GET":
            return self.calls.details(account, upgrade_id, creds=self.ctx.alpha)
        return self.calls.cancel(account, upgrade_id, creds=self.ctx.alpha)

    # --- judging ---------------------------------------------------------------------------------
    def judge(self, case: Any, ex: Exchange, expected: set[int], rule_id: str, *, negative: bool) -> None:
        """The oracle's status set, then schemathesis's own checks on the same answer."""
        from schemathesis.core.failures import AcceptedNegativeData, Failure, FailureGroup
        from schemathesis.openapi.checks import JsonSchemaError
        from schemathesis.specs.openapi import checks as oas

        ctx = self.ctx
        if ex.status is None:
            return  # no answer: the client's consecutive-error limit is what ends a dead target
        what = f"{case.method} {case.path} ({'negative' if negative else 'positive'}: " \
               f"{_describe(case)})"
        ctx.expect(rule_id, ex.status in expected or ex.status >= 500, f"schema exploration: {what}",
                   expected=f"status {' or '.join(map(str, sorted(expected)))} for this request in this state",
                   exchanges=[ex])
        # Not schemathesis's not_a_server_error and content_type_conformance: 5xx and Content-Type
        # are the universal judge's (ctx.calls), which has already seen this answer.
        checks: list[Callable[..., Any]] = [oas.status_code_conformance, oas.response_schema_conformance]
        if negative and expected == {400}:
            checks.append(oas.negative_data_rejection)  # sound only where the oracle demands a refusal
        request = httpx.Request(ex.method, ex.url, headers=ex.request_headers, content=ex.request_body or b"")
        response = httpx.Response(ex.status, headers=ex.response_headers, content=ex.response_body, request=request)
        response.elapsed = timedelta(milliseconds=ex.elapsed_ms)
        try:
            case.validate_response(response, checks=checks, headers=ex.request_headers)
        except (FailureGroup, Failure) as exc:
            group = list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
            for failure in group:
                if isinstance(failure, AcceptedNegativeData):
                    mapped = rule_id
                elif isinstance(failure, JsonSchemaError) and ex.status == 200:
                    mapped = _OK_SUCCESS_RULE[case.method]
                else:
                    mapped = rule_id if ex.status != 200 else _OK_SUCCESS_RULE[case.method]
                ctx.fail(mapped, f"schemathesis {failure.title}: {what}", expected="a documented answer",
                         actual=f"{failure.message.strip()[:300]} — {ex.outcome()}", exchanges=[ex])

    # --- the four operations -----------------------------------------------------------------------
    def post(self, case: Any, negative: bool, index: int) -> None:
        ctx = self.ctx
        body = case.body
        if not negative:
            body = self.valid_schedule(with_end=index % 2 == 1, with_firmware_to=index // 2 % 2 == 1)
        verdict = schedule_validity(ctx.world, ctx.alpha, body, ctx.today)
        expected, rule_id = {
            "valid": ({200}, "POST-01"), "past-start": ({200, 400}, "POST-01"), "structural": ({400}, "POST-03"),
            "semantic": ({200, 400}, "POST-04"), "foreign": (set(range(400, 500)), "AUTH-04"),
        }.get(verdict, ({400, 401}, "AUTH-03"))
        self.judge(case, self.send(case, body, {}), expected, rule_id, negative=negative)

    def valid_schedule(self, *, with_end: bool, with_firmware_to: bool) -> dict[str, Any]:
        """A valid request, with or without each optional field (and no unknown fields: those are
        a SHOULD, checked by WIRE-04, and must not turn a 200 into a demand here)."""
        ctx = self.ctx
        start = ctx.start_date(days_ahead=5)
        body = ctx.schedule_body(1, startDate=start.isoformat(), endDate=None, firmwareTo=None)
        if with_end:
            body["endDate"] = (start + timedelta(days=2)).isoformat()
        if with_firmware_to:
            body["firmwareTo"] = ctx.firmware.to_version
        return body

    def put(self, case: Any, negative: bool, index: int) -> None:
        body = case.body
        if not negative:
            if index % 3 == 2 and self.appended:  # every third positive change removes one appended
                body = {"type": "remove", "deviceList": [self.appended.pop()]}
            else:
                fresh = self.ctx.devices(1)
                body = {"type": "append", "deviceList": fresh}
                self.appended += fresh
        per_device = (isinstance(body, dict) and body.get("type") in ("append", "remove")
                      and isinstance(body.get("deviceList"), list) and body["deviceList"]
                      and all(isinstance(d, str) for d in body["deviceList"]))
        if not negative:
            expected, rule_id = {200}, "PUT-01"
        elif per_device:
            expected, rule_id = {200, 400}, "PUT-03"
        else:
            expected, rule_id = {400}, "PUT-06"
        params = {"accountName": self.c.account, "upgradeId": self.c.id}
        self.judge(case, self.send(case, body, params), expected, rule_id, negative=negative)

    def read_or_cancel(self, case: Any, negative: bool, index: int) -> None:
        params = dict(case.path_parameters or {})
        if not negative:
            params["accountName"] = self.c.account
            if case.method == "GET" and index % 2 == 0:
                params["upgradeId"] = self.c.id  # half the GETs read the real campaign
        ours = params.get("accountName") == self.c.account and params.get("upgradeId") == self.c.id
        if ours:
            expected, rule_id = {200}, _OK_SUCCESS_RULE[case.method]
        elif params.get("accountName") == self.c.account:
            expected, rule_id = set(range(400, 500)), "PUT-05" if case.method == "PUT" else \
                _OK_SUCCESS_RULE[case.method]
        else:
            expected, rule_id = set(range(400, 500)), "AUTH-04"
        self.judge(case, self.send(case, case.body, params), expected, rule_id, negative=negative)


def _describe(case: Any) -> str:
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    return str(getattr(data, "description", None) or "generated")


@check("WIRE-01", "WIRE-02", "POST-01", "POST-03", "PUT-01", "PUT-06", "LIFE-04")
def schema_exploration(ctx: Ctx) -> None:
    """Positive and negative requests generated from openapi.yaml for the four operations, judged by
    schemathesis's checks with state-dependent expectations."""
    calls = ctx.calls
    campaign = open_campaign(calls)
    explorer = _Explorer(ctx, calls, campaign)
    n = max(1, ctx.settings.examples)
    # The companion operations get half the examples: their inputs are two path parameters.
    half = max(1, n // 2)
    # Black-box: every positive POST is a real campaign; the cap is shared with every other check.
    ledger = ctx.api.ledger
    room = None if ledger.cap is None else max(0, ledger.cap - len(ledger.created) - 3)
    plan: list[tuple[str, str, bool, int]] = [
        (_ITEM, "PUT", False, n), (_ITEM, "PUT", True, n),
        ("/upgrades", "POST", False, n if room is None else min(n, room, 1)), ("/upgrades", "POST", True, n),
        (_ITEM, "GET", False, half), (_ITEM, "GET", True, half),
        (_ITEM, "DELETE", False, half), (_ITEM, "DELETE", True, half),
    ]
    for index, (path, method, negative, count) in enumerate(plan):
        if count <= 0:
            ctx.results.note("POST-01", "schema exploration sent no positive POST: the campaign cap is near")
            continue
        for i, case in enumerate(_cases(path, method, negative, count, ctx.settings.seed + index)):
            try:
                if method == "POST":
                    explorer.post(case, negative, i)
                elif method == "PUT":
                    explorer.put(case, negative, i)
                else:
                    explorer.read_or_cancel(case, negative, i)
            except (BudgetExhausted, NotEnoughDevices) as exc:
                ctx.results.note("POST-01", f"schema exploration stopped {method} early: {exc}")
                break
