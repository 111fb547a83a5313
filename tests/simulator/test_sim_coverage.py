"""Every rule of docs/rules.md (MUST, SHOULD and INFO) has at least one simulator test naming it:
a test function called ``test_<family><number>_…`` (e.g. ``test_put07_…`` for PUT-07)."""

from __future__ import annotations

import ast
from pathlib import Path

from conformance.spec.rules import RULES

HERE = Path(__file__).resolve().parent


def _test_names() -> set[str]:
    names = set()
    for path in HERE.glob("test_sim_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def test_every_behavior_rule_has_a_named_simulator_test() -> None:
    names = _test_names()
    missing = [rule_id for rule_id in RULES
               if not any(n.startswith(f"test_{rule_id.replace('-', '').lower()}_") for n in names)]
    assert not missing, f"rules without a simulator test: {missing}"
