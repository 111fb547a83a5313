"""What every renderer needs from a report: rules grouped by family, counts, the verdict line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from conformance.spec.rules import RULES

__all__ = ["FAMILY_ORDER", "OUTCOMES", "by_family", "counts", "reason", "verdict_line"]

FAMILY_ORDER = ("WIRE", "AUTH", "POST", "PUT", "LIFE", "SIM")
OUTCOMES = ("passed", "failed", "warned", "skipped")
FAMILY_NAMES = {"WIRE": "transport", "AUTH": "credentials and isolation", "POST": "schedule an upgrade",
                "PUT": "add or remove devices", "LIFE": "campaign lifecycle", "SIM": "control plane"}


def _family(rule_id: str) -> str:
    return rule_id.split("-", 1)[0]


def by_family(report: Mapping[str, Any]) -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """(family, [(rule id, entry)…]) in report order; families the catalogue does not know (a newer
    report read by an older renderer) come last rather than disappear."""
    rules: dict[str, dict[str, Any]] = report.get("rules", {})
    families = list(FAMILY_ORDER) + sorted({_family(r) for r in rules} - set(FAMILY_ORDER))
    for family in families:
        entries = [(rid, entry) for rid, entry in rules.items() if _family(rid) == family]
        if entries:
            yield family, entries


def level(rule_id: str, entry: Mapping[str, Any]) -> str:
    if "level" in entry:
        return str(entry["level"])
    known = RULES.get(rule_id)
    return str(known.level) if known else "?"


def title(rule_id: str, entry: Mapping[str, Any]) -> str:
    if entry.get("title"):
        return str(entry["title"])
    known = RULES.get(rule_id)
    return known.title if known else ""


def counts(report: Mapping[str, Any]) -> dict[str, int]:
    out = dict.fromkeys(OUTCOMES, 0)
    for entry in report.get("rules", {}).values():
        outcome = str(entry.get("outcome"))
        out[outcome] = out.get(outcome, 0) + 1
    return out


def reason(entry: Mapping[str, Any]) -> str:
    """Why a rule was skipped (its details), in one line."""
    details = [str(d) for d in entry.get("details", [])]
    return "; ".join(details) if details else "no reason given"


def verdict_line(report: Mapping[str, Any]) -> str:
    c = counts(report)
    verdict = "CONFORMANT" if report.get("conformant") else "NOT CONFORMANT"
    parts = [f"{c['failed']} failed", f"{c['warned']} warned", f"{c['passed']} passed", f"{c['skipped']} skipped"]
    extra = []
    if "duration_s" in report:
        extra.append(f"{float(report['duration_s']):.1f} s")
    if "requests" in report:
        extra.append(f"{report['requests']} requests")
    if report.get("seed") is not None:
        extra.append(f"seed {report['seed']}")
    if report.get("depth"):
        extra.append(f"depth {report['depth']}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"{verdict}: {', '.join(parts)} of {sum(c.values())} rules{tail}"
