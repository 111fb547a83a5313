"""The report of a replay: the same shape as ``run``'s (rules with outcome, details, branch and
findings; summary; lifecycle edges), plus each replayed interaction, so every renderer reads it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from conformance.cassettes import RecordedCassette
from conformance.spec.rules import RULES
from conformance.suite.results import REPORT_VERSION, Outcome, mask_all, rule_entries, summary

__all__ = ["NOT_SHOWN", "build_report"]

NOT_SHOWN: Final = "no replayed interaction is evidence for this rule"


def build_report(t: Any, base_url: str, cassettes: list[RecordedCassette], duration: float) -> dict[str, Any]:
    from conformance import __version__

    for rule_id in RULES:
        t.results.skip(rule_id, NOT_SHOWN)
    verdicts = t.results.verdicts()
    by_outcome: dict[str, int] = {}
    for e in t.entries:
        by_outcome[e["outcome"]] = by_outcome.get(e["outcome"], 0) + 1
    report = {
        "report_version": REPORT_VERSION,
        "suite_version": __version__,
        "source": "replay",
        "conformant": not any(v.outcome is Outcome.FAILED for v in verdicts.values()),
        "target": base_url,
        "control_plane": t.has_control,
        "seed": None,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 3),
        "requests": t.client.count,
        "cassettes": [{"path": str(c.path), "kind": c.kind, "interactions": len(c.interactions),
                       "unanswered": c.unanswered} for c in cassettes],
        "settings": {"timeout": t.settings.timeout, "max_campaigns": t.settings.max_campaigns,
                     "min_lead_days": t.settings.min_lead_days},
        "summary": summary(verdicts),
        "interaction_summary": by_outcome,
        "created_campaigns": len(t.ledger.created),
        "cancelled_campaigns": len(t.cancelled) if not t.has_control else 0,
        "lifecycle": {"observed_edges": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(t.edges.items())]},
        "suite_errors": [],
        "interactions": t.entries,
        "rules": rule_entries(verdicts),
    }
    masked: dict[str, Any] = mask_all(report, t.secrets | t.client.secrets)
    return masked
