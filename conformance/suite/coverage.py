"""How much a run really tested: the report's ``coverage`` section and its one-line summary.

A verdict alone hides how it was reached: ``CONFORMANT`` with 6 of 31 rules tested is not the same
claim as with 31. Every renderer prints ``coverage["line"]`` (e.g. ``CONFORMANT on 23 of 31 rules
(8 need the clock)``) and marks rules tested only in part; ``--require-tested`` fails the gate on
``coverage["untested"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.spec.rules import RULES

__all__ = ["PARTLY", "coverage", "gate_line"]

#: The prefix results.py gives the skip reasons of a rule that was exercised by another check.
PARTLY = "partly untested: "


def _why_untested(rule_id: str, details: list[str], control_plane: bool, aborted: bool) -> str:
    text = " ".join(details)
    if "not selected in this run" in text:
        return "not selected"
    if RULES[rule_id].needs_clock and not control_plane:
        return "needs the clock"
    if text.startswith("not tested: ") or (aborted and "not tested:" in text):
        return "run stopped"
    return "could not be tested"


def coverage(rules: Mapping[str, Mapping[str, Any]], *, control_plane: bool, conformant: bool,
             aborted: Mapping[str, str] | None = None, extent: Mapping[str, str] | None = None,
             ) -> dict[str, Any]:
    """The ``coverage`` section from the report's ``rules``. ``extent`` adds, per rule, how hard a
    scaled-down part looked (e.g. the concurrent appends of a small world)."""
    untested: dict[str, str] = {}
    partly: dict[str, list[str]] = {}
    for rule_id, verdict in rules.items():
        details = [str(d) for d in verdict.get("details", [])]
        if verdict.get("outcome") == "skipped":
            untested[rule_id] = _why_untested(rule_id, details, control_plane, aborted is not None)
        else:
            gaps = [d[len(PARTLY):] for d in details if d.startswith(PARTLY)]
            if gaps:
                partly[rule_id] = gaps
    counts: dict[str, int] = {}
    for why in untested.values():
        counts[why] = counts.get(why, 0) + 1
    total = len(rules)
    tested = total - len(untested)
    headline = "INCOMPLETE" if aborted else "CONFORMANT" if conformant else "NOT CONFORMANT"
    labels = {"needs the clock": "need the clock", "not selected": "not selected", "run stopped": "not reached",
              "could not be tested": "untested"}
    reasons = ", ".join(f"{n} {labels[why] if n > 1 or why != 'needs the clock' else why}"
                        for why, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    line = f"{headline} on {tested} of {total} rules" + (f" ({reasons})" if reasons else "")
    if partly:
        line += f"; {len(partly)} tested in part"
    return {
        "rules": total,
        "tested": tested,
        "untested": untested,
        "untested_by_reason": counts,
        "partly": partly,
        "extent": dict(extent or {}),
        "line": line,
    }


def gate_line(report: Mapping[str, Any]) -> str | None:
    """The ``--require-tested`` verdict line when that gate failed, else None."""
    gate = report.get("gate")
    if not isinstance(gate, Mapping) or gate.get("passed", True):
        return None
    missing = gate.get("untested") or []
    return f"GATE FAILED (--require-tested): {len(missing)} rule(s) not tested: {', '.join(missing)}"
