"""The WIRE and AUTH checks over real HTTP: the clean simulator passes each rule, and the error-body
and charset variants pass too. (Every planted fault of these rules: tests/suite/test_faults_catalogue.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.suite.runner import run_suite

RULES = ["WIRE-01", "WIRE-02", "WIRE-03", "WIRE-04", "WIRE-05", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04"]


@pytest.mark.parametrize("rule_id", RULES)
def test_clean_simulator_passes(clean_url: str, rule_id: str) -> None:
    report = run_suite(clean_url, rules=[rule_id])
    verdict = report["rules"][rule_id]
    assert verdict["outcome"] == "passed", verdict["details"]
    assert verdict["checks"], "no check exercised the rule"


@pytest.mark.parametrize("variant", ["errorcode-401", "charset-json"])
def test_error_body_and_charset_variants_pass(run_with: Callable[..., dict[str, Any]], variant: str) -> None:
    rules = ["WIRE-01", "AUTH-01", "AUTH-02"]
    report = run_with(variant, rules=rules)
    assert {r: report["rules"][r]["outcome"] for r in rules} == dict.fromkeys(rules, "passed")
