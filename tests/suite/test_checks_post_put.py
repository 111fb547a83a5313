"""The POST and PUT checks over real HTTP: the clean simulator passes each rule, and each allowed
branch is recognised and recorded. (Every planted fault of these rules: tests/suite/test_faults_catalogue.py.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.suite.runner import run_suite

RULES = ["POST-01", "POST-02", "POST-03", "POST-04", "POST-05",
         "PUT-01", "PUT-02", "PUT-03", "PUT-04", "PUT-05", "PUT-06", "PUT-07"]


@pytest.mark.parametrize("rule_id", RULES)
def test_clean_simulator_passes(clean_url: str, rule_id: str) -> None:
    report = run_suite(clean_url, rules=[rule_id])
    verdict = report["rules"][rule_id]
    assert verdict["outcome"] == "passed", verdict["details"]


@pytest.mark.parametrize(("variant", "rule_id", "branch"), [
    ("", "POST-04", "accepted, then RequestFailed"),
    ("sync-refusal", "POST-04", "refused at once"),
    ("", "POST-05", "refused with 400"),
    ("devicelist-alias", "POST-05", "alias accepted"),
    ("", "PUT-03", "failed item in a 200"),
    ("whole-request-400", "PUT-03", "whole request refused with 400"),
    ("", "PUT-05", "400"),
])
def test_allowed_branches_pass_and_are_named(run_with: Callable[..., dict[str, Any]], variant: str, rule_id: str,
                                             branch: str) -> None:
    report = run_with(*([variant] if variant else []), rules=[rule_id])
    verdict = report["rules"][rule_id]
    assert verdict["outcome"] == "passed", verdict["details"]
    assert verdict["branch"] == branch


def test_unknown_id_404_only_warns(run_with: Callable[..., dict[str, Any]]) -> None:
    verdict = run_with("unknown-id-404", rules=["PUT-05"])["rules"]["PUT-05"]
    assert verdict["outcome"] == "warned", verdict["details"]
    assert verdict["branch"].startswith("other 4xx")


def test_past_start_refusal_is_not_a_failure(run_with: Callable[..., dict[str, Any]]) -> None:
    verdict = run_with("past-start-refused", rules=["POST-03"])["rules"]["POST-03"]
    assert verdict["outcome"] == "passed", verdict["details"]
    assert any("before today" in d for d in verdict["details"])
