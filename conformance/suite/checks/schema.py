"""Schema conformance: schemathesis generates requests from openapi.yaml (positive and negative),
and its standard checks judge the answers — with the expected status set decided per case by an
oracle that knows the world and the campaign's state, so that a correct refusal is never a failure.

How a case is made real: schemathesis draws the *shape* (which optional fields, which negation);
the check then puts the world in it — alpha's credentials in the headers, alpha's account and the
upgrade id of a campaign created here in the path, and, for positive bodies, alpha's firmware and
fresh fitting devices — so that a positive case is a valid request, not just a schema-valid one.
Three sources of cases, by depth (conformance.suite.depth):

- *positive* requests, one per index, built from the world (no generation is needed: the world
  decides every value; the index varies which optional fields are sent);
- *random negative* requests drawn by Hypothesis through schemathesis, bounded
  (``settings.examples`` scaled by the depth) and seeded (``settings.seed``);
- schemathesis's *coverage phase*: for each field of each operation (body properties, path
  parameters, headers), the boundary values and near misses the schema implies — every wrong JSON
  type, ``null``, the empty string, a missing required property, a value off the pattern or
  format, an empty array. Each such case changes one thing; every other value is taken from the
  world, so that the case tests exactly that one field.

Generation happens before any request is sent, in a scratch Hypothesis home (never the user's
folder), and depends only on the seed and the depth: the same seed sends the same requests.

Every answer is judged for WIRE-01/02 and the error-response shape by ``ctx.calls`` (once, as any
other check's); schemathesis's own checks add the rest, mapped to rules: a schema-invalid
or unexpected answer → the rule that governs that answer (POST-01, PUT-01, LIFE-04, LIFE-06 for
successes; POST-03/PUT-06 for structural refusals; POST-04/PUT-03 for semantic ones; PUT-05 and
AUTH-04 for unknown and foreign ids).
"""

from __future__ import annotations

import copy
import json
import random
import uuid
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
from conformance.suite.depth import depth_of
from conformance.suite.http import Exchange
from conformance.suite.oracle import schedule_validity
from conformance.suite.registry import check
from conformance.suite.scratch import forget_local_constants
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
def _negative_cases(path: str, method: str, n: int, seed_value: int) -> tuple[Any, ...]:
    """``n`` random negative cases for one operation, reproducibly for ``seed_value``, sending nothing."""
    from schemathesis import GenerationMode

    kwargs: dict[str, Any] = {"headers": dict(_PLACEHOLDER_AUTH)}
    if method == "PUT":
        kwargs["path_parameters"] = dict(_PLACEHOLDER_PATH)
    out: list[Any] = []

    @seed(seed_value)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(_schema()[path][method].as_strategy(GenerationMode.NEGATIVE, **kwargs))
    def collect(case: Any) -> None:
        out.append(case)

    collect()  # the caller holds HYPOTHESIS_LOCK (schema_exploration)
    return tuple(out[:n])


def _positive_cases(path: str, method: str, n: int, seed_value: int) -> list[Any]:
    """``n`` positive case templates: the world fills in every value before a case is sent (see
    post/put below), so nothing is drawn; GET/DELETE on an id never issued take seeded UUIDs."""
    from schemathesis.core import NOT_SET

    op = _schema()[path][method]
    rng = random.Random(seed_value)
    out = []
    for _ in range(n):
        params = {"accountName": _PLACEHOLDER_PATH["accountName"],
                  "upgradeId": str(uuid.UUID(int=rng.getrandbits(128), version=4))} if path == _ITEM else {}
        body = copy.deepcopy(_POSITIVE_BODY[method]) if method in _POSITIVE_BODY else NOT_SET
        out.append(op.Case(path_parameters=params, headers=dict(_PLACEHOLDER_AUTH), body=body))
    return out


#: Coverage-phase scenarios left out, and why: an undeclared method's answer (often a gateway's
#: 405 page) is no API operation's answer, so WIRE-01 cannot judge it; Content-Type labels are
#: WIRE-03/WIRE-05's business, where the rules say what a label may do.
_SKIPPED_SCENARIOS = frozenset({"unspecified_http_method", "malformed_content_type", "unsupported_content_type"})


@cache
def _coverage_cases(path: str, method: str) -> tuple[Any, ...]:
    """schemathesis's coverage phase for one operation, negative cases only (the positive ones
    are what the world-built positive cases already send). Deterministic: no seed involved."""
    from schemathesis import GenerationMode
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.overrides import Override

    _cheap_invalid_enum_candidates()
    schema = _schema()
    op = schema[path][method]
    generator = CoverageGenerator(operation=op, generation_modes=[GenerationMode.NEGATIVE],
                                  generation_config=schema.config.generation, auth_storage=None,
                                  override=Override(), feedback=FeedbackSources())
    return tuple(case for case in generator if _coverage_data(case).scenario not in _SKIPPED_SCENARIOS
                 and case.method.upper() == method)


#: What schemathesis's coverage phase tries as "a value not in the enum", in its own order.
_INVALID_ENUM_CANDIDATES = ("AAA", "", None, False, True, 0, 1, -1, 0.5)


def _cheap_invalid_enum_candidates() -> None:
    """schemathesis finds its candidates for "a value not in the enum" by running Hypothesis with a
    filter that rejects every value and keeping what it saw: about 460 draws and a second of CPU,
    once per process — the largest single cost of a default run's exploration (profiled). The
    value it then picks for ``type`` is the first candidate not in the enum, "AAA"; the same
    candidates are given here directly. (If schemathesis moves the function, this does nothing:
    slower, never different in kind — and the boundary table sends near-miss enum values anyway.)"""
    from schemathesis.specs.openapi.coverage import _schema as coverage

    if callable(getattr(coverage, "_invalid_enum_candidates", None)):
        setattr(coverage, "_invalid_enum_candidates", lambda: _INVALID_ENUM_CANDIDATES)  # noqa: B010


def _coverage_data(case: Any) -> Any:
    return getattr(getattr(case.meta, "phase", None), "data", None)


def _mutated(case: Any) -> tuple[str | None, str | None]:
    """(where, name) of the one thing a coverage case changes: ("body", property), ("path",
    parameter), ("header", name), or (None, None) when it changes the body as a whole."""
    data = _coverage_data(case)
    description = str(getattr(data, "description", ""))
    location = getattr(getattr(data, "parameter_location", None), "value", None)
    if location in ("path", "header"):
        return location, getattr(data, "parameter", None)
    if description.startswith("Missing required property: "):
        return "body", description.rsplit(" ", 1)[-1]
    head = description.split(" -> ", 1)[0].split(":", 1)[0]
    return ("body", head) if head and " " not in head else (None, None)


class _Explorer:
    def __init__(self, ctx: Ctx, calls: Calls, campaign: Campaign) -> None:
        self.ctx = ctx
        self.calls = calls
        self.c = campaign
        self.auth = {"Authorization": f"Bearer {ctx.alpha.bearer}", "VZ-M2M-Token": ctx.alpha.m2m}
        self.appended: list[str] = []
        self.shared_devices: list[str] = []

    # --- sending ---------------------------------------------------------------------------------
    def send(self, case: Any, body: Any, params: dict[str, Any]) -> Exchange:
        from schemathesis.core import NOT_SET

        account, upgrade_id = (quote(str(params.get(k)), safe="") for k in ("accountName", "upgradeId"))
        where, name = _mutated(case) if _coverage_data(case) is not None else (None, None)
        # A coverage case that leaves out a header sends the other one only (AUTH-01/AUTH-03 judge).
        headers = {k: v for k, v in self.auth.items() if not (where == "header" and k.lower() == str(name).lower())}
        kwargs: dict[str, Any] = {"creds": None, "headers": headers}
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
        if headers == self.auth:
            if case.method == "GET":
                return self.calls.details(account, upgrade_id, creds=self.ctx.alpha)
            return self.calls.cancel(account, upgrade_id, creds=self.ctx.alpha)
        return self.calls.send(case.method, account, upgrade_id, creds=None, headers=headers)

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
                elif isinstance(failure, JsonSchemaError) and "schemas/UpgradeStatus" in failure.message:
                    mapped = "LIFE-01"  # a status name outside the six is LIFE-01's, whichever operation
                elif isinstance(failure, JsonSchemaError) and ex.status == 200:
                    mapped = _OK_SUCCESS_RULE[case.method]
                else:
                    mapped = rule_id if ex.status != 200 else _OK_SUCCESS_RULE[case.method]
                ctx.fail(mapped, f"schemathesis {failure.title}: {what}", expected="a documented answer",
                         actual=f"{failure.message.strip()[:300]} — {ex.outcome()}", exchanges=[ex])

    # --- the four operations -----------------------------------------------------------------------
    def post(self, case: Any, kind: str, index: int) -> None:
        ctx = self.ctx
        body = case.body
        if kind == "positive":
            body = self.valid_schedule(with_end=index % 2 == 1, with_firmware_to=index // 2 % 2 == 1)
        elif kind == "coverage":
            valid = self.valid_schedule(with_end=True, with_firmware_to=True, devices=self.shared())
            body = self.world_body(case, valid)
        verdict = schedule_validity(ctx.world, ctx.alpha if self.has_auth(case) else None, body, ctx.today)
        expected, rule_id = {
            "valid": ({200}, "POST-01"), "past-start": ({200, 400}, "POST-01"), "structural": ({400}, "POST-03"),
            "semantic": ({200, 400}, "POST-04"), "foreign": (set(range(400, 500)), "AUTH-04"),
        }.get(verdict, self.auth_refusal(case))
        self.judge(case, self.send(case, body, {}), expected, rule_id, negative=kind != "positive")

    def has_auth(self, case: Any) -> bool:
        where, _ = _mutated(case) if _coverage_data(case) is not None else (None, None)
        return where != "header"

    def auth_refusal(self, case: Any) -> tuple[set[int], str]:
        """No bearer: 401 (AUTH-01); no VZ-M2M-Token: 400 or 401 (AUTH-03)."""
        _, name = _mutated(case)
        return ({401}, "AUTH-01") if str(name).lower() == "authorization" else ({400, 401}, "AUTH-03")

    def world_body(self, case: Any, valid: dict[str, Any]) -> Any:
        """A coverage case's body with every value it does not mutate taken from ``valid``: the
        case then tests its one field, not the placeholders of the schema's examples."""
        body = case.body
        where, name = _mutated(case)
        if not isinstance(body, dict) or where != "body":
            return body if where in ("body", None) else valid
        return {k: (v if k == name or k not in valid else valid[k]) for k, v in body.items()}

    def shared(self) -> list[str]:
        """One fresh device that every coverage case may name: each changes one *other* field, so
        the request is refused, or accepted as a campaign that must fail (POST-04/PUT-03) —
        one device for them all keeps the world's devices for the checks that need fresh ones."""
        if not self.shared_devices:
            self.shared_devices = self.ctx.devices(1)
        return list(self.shared_devices)

    def valid_schedule(self, *, with_end: bool, with_firmware_to: bool,
                       devices: list[str] | None = None) -> dict[str, Any]:
        """A valid request, with or without each optional field (and no unknown fields: those are
        a SHOULD, checked by WIRE-04, and must not turn a 200 into a demand here)."""
        ctx = self.ctx
        start = ctx.start_date(days_ahead=5)
        body = ctx.schedule_body(0 if devices else 1, startDate=start.isoformat(), endDate=None, firmwareTo=None,
                                 **({"deviceList": devices} if devices else {}))
        if with_end:
            body["endDate"] = (start + timedelta(days=2)).isoformat()
        if with_firmware_to:
            body["firmwareTo"] = ctx.firmware.to_version
        return body

    def put(self, case: Any, kind: str, index: int) -> None:
        body = case.body
        params = {"accountName": self.c.account, "upgradeId": self.c.id}
        if kind == "positive":
            if index % 3 == 2 and self.appended:  # every third positive change removes one appended
                body = {"type": "remove", "deviceList": [self.appended.pop()]}
            else:
                fresh = self.ctx.devices(1)
                body = {"type": "append", "deviceList": fresh}
                self.appended += fresh
        elif kind == "coverage":
            where, name = _mutated(case)
            body = self.world_body(case, {"type": "append", "deviceList": self.shared()})
            if where == "path":
                params[str(name)] = case.path_parameters.get(name)
                self.judge(case, self.send(case, body, params), set(range(400, 500)),
                           "PUT-05" if name == "upgradeId" else "AUTH-04", negative=True)
                return
        per_device = (isinstance(body, dict) and body.get("type") in ("append", "remove")
                      and isinstance(body.get("deviceList"), list) and body["deviceList"]
                      and all(isinstance(d, str) for d in body["deviceList"]))
        if not self.has_auth(case):
            expected, rule_id = self.auth_refusal(case)
        elif kind == "positive":
            expected, rule_id = {200}, "PUT-01"
        elif per_device:
            expected, rule_id = {200, 400}, "PUT-03"
        else:
            expected, rule_id = {400}, "PUT-06"
        self.judge(case, self.send(case, body, params), expected, rule_id, negative=kind != "positive")

    def read_or_cancel(self, case: Any, kind: str, index: int) -> None:
        params = dict(case.path_parameters or {})
        if kind == "positive":
            params["accountName"] = self.c.account
            if case.method == "GET" and index % 2 == 0:
                params["upgradeId"] = self.c.id  # half the GETs read the real campaign
        elif kind == "coverage":
            where, name = _mutated(case)
            mutated = case.path_parameters.get(name) if where == "path" else None
            params = {"accountName": self.c.account, "upgradeId": self.c.id}
            if where == "path":
                params[str(name)] = mutated
        ours = params.get("accountName") == self.c.account and params.get("upgradeId") == self.c.id
        if not self.has_auth(case):
            expected, rule_id = self.auth_refusal(case)
        elif ours:
            expected, rule_id = {200}, _OK_SUCCESS_RULE[case.method]
        elif params.get("accountName") == self.c.account:
            expected, rule_id = set(range(400, 500)), "PUT-05" if case.method == "PUT" else \
                _OK_SUCCESS_RULE[case.method]
        else:
            expected, rule_id = set(range(400, 500)), "AUTH-04"
        self.judge(case, self.send(case, case.body, params), expected, rule_id, negative=kind != "positive")


def _describe(case: Any) -> str:
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    return str(getattr(data, "description", None) or "generated")


@check("WIRE-01", "WIRE-02", "POST-01", "POST-03", "PUT-01", "PUT-06", "LIFE-04")
def schema_exploration(ctx: Ctx) -> None:
    """Positive, random negative and boundary (coverage-phase) requests for the four operations of
    openapi.yaml, judged by schemathesis's checks with state-dependent expectations."""
    calls = ctx.calls
    campaign = open_campaign(calls)
    explorer = _Explorer(ctx, calls, campaign)
    depth = depth_of(ctx.settings.depth)
    n = max(1, ctx.settings.examples)
    negative = max(1, round(n * depth.examples_factor))
    # The companion operations get half the examples: their inputs are two path parameters.
    ledger = ctx.api.ledger
    room = None if ledger.cap is None else max(0, ledger.cap - len(ledger.created) - 3)
    plan: list[tuple[str, str, str, int]] = []
    for path, method, share in ((_ITEM, "PUT", 1), ("/upgrades", "POST", 1), (_ITEM, "GET", 2), (_ITEM, "DELETE", 2)):
        positive = n // share if method != "POST" or room is None else min(n, room, 1)
        plan += [(path, method, "positive", max(1, positive) if positive else 0),
                 (path, method, "negative", max(1, negative // share))]
        if depth.coverage and (room is None or method != "POST"):
            plan.append((path, method, "coverage", -1))
    for index, (path, method, kind, count) in enumerate(plan):
        if count == 0:
            ctx.results.note("POST-01", "schema exploration sent no positive POST: the campaign cap is near")
            continue
        seed_value = ctx.settings.seed + index
        with HYPOTHESIS_LOCK:
            forget_local_constants()
            cases: Any = (_positive_cases(path, method, count, seed_value) if kind == "positive" else
                          _negative_cases(path, method, count, seed_value) if kind == "negative" else
                          _coverage_cases(path, method))
        for i, case in enumerate(cases):
            try:
                if method == "POST":
                    explorer.post(case, kind, i)
                elif method == "PUT":
                    explorer.put(case, kind, i)
                else:
                    explorer.read_or_cancel(case, kind, i)
            except (BudgetExhausted, NotEnoughDevices) as exc:
                ctx.results.note("POST-01", f"schema exploration stopped {kind} {method} early: {exc}")
                break
