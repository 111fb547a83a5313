"""What every renderer needs from a report: rules grouped by family, counts, the verdict line, and
the one text form of a finding (``finding_lines``) that the terminal, JUnit, Markdown and the pytest
plugin all show."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from conformance.spec.client_rules import CLIENT_RULES
from conformance.spec.rules import FAMILIES, RULES, Rule, doc_ref

__all__ = ["FAMILY_ORDER", "OUTCOMES", "by_family", "counts", "doc", "finding_lines", "finding_summary",
           "is_client_report", "reason", "safe", "verdict_line"]

#: The order the report's families are grouped in: the catalogue's.
FAMILY_ORDER = (*FAMILIES, "CLIENT")  # CLIENT: the client gate's rules (spec/client_rules.py)
OUTCOMES = ("passed", "failed", "warned", "skipped")
FAMILY_NAMES = {"WIRE": "transport", "AUTH": "credentials and isolation", "POST": "schedule an upgrade",
                "PUT": "add or remove devices", "LIFE": "campaign lifecycle", "SIM": "control plane",
                "CLIENT": "what a client sends"}


# A target's body may hold escape sequences; echoed raw, they would rewrite the user's terminal (and
# a CI log or an issue shows them as garbage).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object) -> str:
    """``text`` on one line, every control character shown as ``\\xNN`` instead of obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\n", "⏎ ")


def finding_lines(finding: Mapping[str, Any], seed: object = None, *, max_repro: int | None = None) -> list[str]:
    """A finding as text: what failed, expected, actual, and the curl lines that reproduce it (the
    last ``max_repro`` of them, the failing request being last). Control characters escaped."""
    lines = [f"✗ {safe(finding.get('title', ''))}  ({finding.get('check', '?')}, {finding.get('severity', '?')})",
             f"  expected: {safe(finding.get('expected', ''))}",
             f"  actual:   {safe(finding.get('actual', ''))}"]
    if finding.get("vendor"):  # client rules: what the vendor's API does with the request
        lines.append(f"  the vendor: {safe(finding['vendor'])}")
    repro = [str(r) for r in finding.get("reproduction") or []]
    if repro:
        used = finding.get("seed", seed)
        lines.append(f"  reproduce ({f'seed {used}; ' if used is not None else ''}tokens masked as ***):")
        if max_repro is not None and len(repro) > max_repro:
            lines.append(f"    # … {len(repro) - max_repro} earlier requests in the report files")
            repro = repro[-max_repro:]
        lines += [f"    {safe(line)}" for line in repro]
    return lines


def finding_summary(finding: Mapping[str, Any]) -> str:
    """A finding in one line (control characters escaped), for lists of the findings not shown in full."""
    return safe(f"{finding.get('title', '')}: expected {finding.get('expected', '')}; "
                f"got {finding.get('actual', '')}")


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


def _known(rule_id: str) -> Rule | None:
    return RULES.get(rule_id) or CLIENT_RULES.get(rule_id)


def is_client_report(report: Mapping[str, Any]) -> bool:
    """A report of the client gate (``simulate --strict``, ``check-cassette --client``)."""
    return report.get("kind") == "client"


def doc(rule_id: str, entry: Mapping[str, Any]) -> str:
    """Where the rule is explained (docs/rules.md#put-04): the report's own ``doc``, else the catalogue's."""
    return str(entry.get("doc") or doc_ref(rule_id))


def level(rule_id: str, entry: Mapping[str, Any]) -> str:
    if "level" in entry:
        return str(entry["level"])
    known = _known(rule_id)
    return str(known.level) if known else "?"


def title(rule_id: str, entry: Mapping[str, Any]) -> str:
    if entry.get("title"):
        return str(entry["title"])
    known = _known(rule_id)
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
    cov = report.get("coverage")
    if isinstance(cov, Mapping) and cov.get("line"):
        # How much was tested goes first: "CONFORMANT on 23 of 31 rules (8 need the clock)".
        return f"{cov['line']} — {', '.join(parts)}{tail}"
    return f"{verdict}: {', '.join(parts)} of {sum(c.values())} rules{tail}"


def partly(entry: Mapping[str, Any]) -> list[str]:
    """What of a rule that passed (or warned) could not be tested: the 'partly untested' details."""
    prefix = "partly untested: "
    return [str(d)[len(prefix):] for d in entry.get("details", []) if str(d).startswith(prefix)]


def notes(entry: Mapping[str, Any]) -> list[str]:
    """What the run noticed about a rule that passed: an allowed behaviour worth knowing (a startDate
    in the past accepted), or why part of a rule cannot arise (the 'partly untested' gaps excepted)."""
    if entry.get("outcome") != "passed":
        return []
    return [str(d) for d in entry.get("details", []) if not str(d).startswith("partly untested: ")]


def notices(report: Mapping[str, Any]) -> list[str]:
    """Lines that must precede the verdict: why a run stopped early, a failed --require-tested gate."""
    out = []
    aborted = report.get("aborted")
    if isinstance(aborted, Mapping) and aborted.get("reason"):
        out.append(f"RUN STOPPED EARLY: {aborted['reason']} (everything tested until then is reported)")
    gate = report.get("gate")
    if isinstance(gate, Mapping) and not gate.get("passed", True):
        missing = list(gate.get("untested") or [])
        out.append(f"GATE FAILED (--require-tested): {len(missing)} rule(s) could not be tested: {', '.join(missing)}")
    return out
