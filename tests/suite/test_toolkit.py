"""One path from request to verdict: every answer any check receives is judged once for the rules
that hold for every answer (WIRE-01, WIRE-02, the error-response shape), by ``ctx.calls``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.simulator.profile import FAULTS
from conformance.suite.http import Exchange
from conformance.suite.oracle import error_problem, universal_problems

CHECKS = Path(__file__).resolve().parents[2] / "conformance" / "suite" / "checks"


def _answer(status: int, body: bytes, content_type: str = "application/json") -> Exchange:
    return Exchange("GET", "http://127.0.0.1:9/upgrades/a/upgrade/b", {}, None, status,
                    {"content-type": content_type}, body)


def test_no_check_sends_around_the_toolkit() -> None:
    """The raw send path (``ctx.api`` operations, the HTTP client) is the toolkit's, never a check's."""
    raw = re.compile(r"\.api\.(schedule|change|details|cancel|on_campaign|client)\b|\.client\.send\(")
    offenders = [f"{p.name}:{n}" for p in sorted(CHECKS.glob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if raw.search(line)]
    assert offenders == []


@pytest.mark.parametrize(("status", "body", "content_type", "rules"), [
    (200, b'{"id": "x"}', "application/json", []),
    (200, b'{"id": "x"}', "application/json; charset=utf-8", []),
    (200, b'{"id": "x"}', "text/plain", ["WIRE-01"]),
    (400, b'{"errorCode": "E", "errorMessage": "m"}', "application/json", []),
    (400, b'{"detail": "m"}', "application/json", ["WIRE-01"]),
    (401, b'{"fault": {"code": "c", "message": "m"}}', "application/json", []),
    (401, b'{"fault": {}}', "application/json", ["WIRE-01"]),  # the gateway body needs code and message
    (403, b'{"fault": {"code": "c", "message": "m"}}', "application/json", ["WIRE-01"]),  # 401 only
    (500, b'{"errorCode": "E", "errorMessage": "m"}', "application/json", ["WIRE-02"]),
    (502, b"Bad Gateway", "text/html", ["WIRE-02", "WIRE-01"]),
])
def test_the_universal_judge(status: int, body: bytes, content_type: str, rules: list[str]) -> None:
    assert [p.rule for p in universal_problems(_answer(status, body, content_type))] == rules


def test_one_definition_of_an_error_response() -> None:
    assert error_problem(_answer(404, b'{"errorCode": "E", "errorMessage": "m"}'), {400}) == "status 404"
    assert error_problem(_answer(400, b'{"errorCode": "", "errorMessage": "m"}')) is not None
    assert error_problem(_answer(400, b'{"errorCode": "E", "errorMessage": "m"}', "application/jsonx")) \
        == "Content-Type application/jsonx"


@pytest.mark.slow
def test_a_wire_fault_only_lifecycle_checks_provoke_is_caught(run_with: Callable[..., dict[str, Any]]) -> None:
    fault = "wire01-text-started-details"
    assert FAULTS[fault].rule == "WIRE-01"
    # WIRE-01's own checks never drive a campaign past its start: they cannot see this fault …
    assert run_with(fault, rules=["WIRE-01"])["rules"]["WIRE-01"]["outcome"] == "passed"
    # … the lifecycle checks do, and every answer they get is judged for WIRE-01 too.
    verdict = run_with(fault, rules=["LIFE-03"])["rules"]["WIRE-01"]
    assert verdict["outcome"] == "failed", verdict["details"]
    assert {f["check"].split(".")[0] for f in verdict["findings"]} <= {"lifecycle", "stateful"}
    assert all("text/plain" in f["actual"] for f in verdict["findings"])


def test_every_rule_names_the_checks_that_enforce_it() -> None:
    from conformance.spec.rules import RULES
    from conformance.suite.registry import checks_for

    assert {r: [c.name for c in checks_for(r)] for r in RULES if not checks_for(r)} == {}
    assert "put.concurrent_appends_are_all_kept" in [c.name for c in checks_for("PUT-01")]
    with pytest.raises(KeyError, match="NOPE-01"):
        checks_for("NOPE-01")
