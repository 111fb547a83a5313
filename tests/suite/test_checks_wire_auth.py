"""The WIRE and AUTH checks over real HTTP: the clean simulator passes each rule, and every planted
fault naming the rule makes the suite report it (failed, or warned for a SHOULD part)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.simulator.profile import FAULTS
from conformance.suite.runner import run_suite

RULES = ["WIRE-01", "WIRE-02", "WIRE-03", "WIRE-04", "WIRE-05", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04"]
FAULTS_HERE = sorted(n for n, f in FAULTS.items() if f.rule in RULES)


@pytest.mark.parametrize("rule_id", RULES)
def test_clean_simulator_passes(clean_url: str, rule_id: str) -> None:
    report = run_suite(clean_url, rules=[rule_id])
    verdict = report["rules"][rule_id]
    assert verdict["outcome"] == "passed", verdict["details"]
    assert verdict["checks"], "no check exercised the rule"


@pytest.mark.parametrize("fault", FAULTS_HERE)
def test_fault_is_caught(run_with: Callable[..., dict[str, Any]], expected_outcome: Callable[[str], str],
                         fault: str) -> None:
    rule_id = FAULTS[fault].rule
    report = run_with(fault, rules=[rule_id])
    verdict = report["rules"][rule_id]
    assert verdict["outcome"] == expected_outcome(fault), verdict["details"]
    # Every failure names its rule and carries a reproduction with the tokens masked.
    findings = verdict["findings"]
    assert findings and all(f["reproduction"] for f in findings)
    assert not any("bearer-alpha" in line or "m2m-alpha" in line for f in findings for line in f["reproduction"])


def test_auth03_records_the_branch(clean_url: str) -> None:
    report = run_suite(clean_url, rules=["AUTH-03"])
    assert report["rules"]["AUTH-03"]["branch"] in ("refused with 400", "refused with 401",
                                                   "refused with 400 + refused with 401",
                                                   "refused with 401 + refused with 400")


def test_m2m_401_variant_is_another_branch(run_with: Callable[..., dict[str, Any]]) -> None:
    report = run_with("m2m-401", rules=["AUTH-03"])
    assert report["rules"]["AUTH-03"]["outcome"] == "passed"
    assert "401" in report["rules"]["AUTH-03"]["branch"]


@pytest.mark.parametrize("variant", ["errorcode-401", "charset-json"])
def test_error_body_and_charset_variants_pass(run_with: Callable[..., dict[str, Any]], variant: str) -> None:
    rules = ["WIRE-01", "AUTH-01", "AUTH-02"]
    report = run_with(variant, rules=rules)
    assert {r: report["rules"][r]["outcome"] for r in rules} == dict.fromkeys(rules, "passed")
