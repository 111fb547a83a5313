"""The terminal summary: rules grouped by family, failures with what was expected, what came back and
how to reproduce it, and a final verdict line (the last line, so that ``tail -1`` in CI shows it)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from conformance.report.common import (
    FAMILY_NAMES,
    by_family,
    doc,
    finding_lines,
    is_client_report,
    level,
    notes,
    notices,
    partly,
    reason,
    safe,
    title,
    verdict_line,
)

__all__ = ["render_terminal"]

_LABEL = {"passed": "PASS", "failed": "FAIL", "warned": "WARN", "skipped": "SKIP"}
_COLOR = {"passed": "32", "failed": "31;1", "warned": "33", "skipped": "2"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


#: A broken target can produce hundreds of findings; the terminal shows the first few per rule and the
#: last requests of each (the last one is the request that failed); the files carry them all.
MAX_FINDINGS = 3
MAX_REPRO_LINES = 3


def render_terminal(report: Mapping[str, Any], *, color: bool = False, quiet: bool = False,
                    width: int = 100, max_findings: int = MAX_FINDINGS) -> str:
    """The summary as text. ``quiet``: only the rules that failed or warned, and the verdict."""
    lines: list[str] = []
    if not quiet:
        if is_client_report(report):
            lines.append(f"FOTA v1 client rules: {report.get('target', '?')}")
        else:
            mode = "with control plane" if report.get("control_plane") else "black-box (no control plane)"
            lines.append(f"FOTA v1 conformance of {report.get('target', '?')} — {mode}")
    selected = report.get("selected_rules")
    hidden = 0
    for family, entries in by_family(report):
        if selected:
            # A --rules run: the rules nobody asked about would drown the ones that were.
            before = len(entries)
            entries = [(rid, e) for rid, e in entries if rid in selected or e.get("outcome") != "skipped"]
            hidden += before - len(entries)
        shown = [(rid, e) for rid, e in entries if not quiet or e.get("outcome") in ("failed", "warned")]
        if not shown:
            continue
        if not quiet:
            lines.append("")
            lines.append(_paint(f"{family} — {FAMILY_NAMES.get(family, '')}".rstrip(" —"), "1", color))
        for rule_id, entry in shown:
            lines.extend(_rule_lines(rule_id, entry, color=color, width=width, seed=report.get("seed"),
                                     max_findings=max_findings))
    if not quiet:
        lines.append("")
        if hidden:
            lines.append(f"({hidden} rules not selected with --rules: skipped)")
    if report.get("interaction_summary"):  # a replay: how the recorded interactions fared
        tally = ", ".join(f"{n} {k}" for k, n in report["interaction_summary"].items())
        lines.append(f"replayed {len(report.get('interactions') or [])} recorded interactions: {tally}")
    for error in report.get("suite_errors") or []:
        lines.append(_paint(f"SUITE ERROR (a bug of fota-conformance, not of the target): {safe(error)}",
                            "35", color))
    lines.extend(_paint(n, "31;1", color) for n in notices(report))
    c = verdict_line(report)
    gate: Mapping[str, Any] = report["gate"] if isinstance(report.get("gate"), Mapping) else {}
    good = report.get("conformant") and gate.get("passed", True)
    lines.append(_paint(c, "32;1" if good else "31;1", color))
    return "\n".join(lines) + "\n"


def _rule_lines(rule_id: str, entry: Mapping[str, Any], *, color: bool, width: int,
                seed: object, max_findings: int) -> list[str]:
    outcome = str(entry.get("outcome", "?"))
    label = _paint(f"{_LABEL.get(outcome, outcome.upper()):4}", _COLOR.get(outcome, "0"), color)
    head = f"  {label}  {rule_id:<8} {level(rule_id, entry):<6} {title(rule_id, entry)}"
    if entry.get("branch"):
        head += f"  [branch: {entry['branch']}]"
    lines = [head]
    indent = " " * 8
    if outcome == "skipped":
        lines.extend(textwrap.wrap(f"skipped: {safe(reason(entry))}", width, initial_indent=indent,
                                   subsequent_indent=indent + "  "))
        return lines
    for gap in partly(entry)[:2]:
        lines.extend(textwrap.wrap(f"tested in part; not tested: {safe(gap)}", width, initial_indent=indent,
                                   subsequent_indent=indent + "  "))
    if len(partly(entry)) > 2:
        lines.append(f"{indent}… and {len(partly(entry)) - 2} more untested parts (in the report files)")
    for note in notes(entry)[:2]:
        lines.extend(textwrap.wrap(f"note: {safe(note)}", width, initial_indent=indent,
                                   subsequent_indent=indent + "  "))
    if len(notes(entry)) > 2:
        lines.append(f"{indent}… and {len(notes(entry)) - 2} more notes (in the report files)")
    findings = entry.get("findings") or []
    if outcome in ("failed", "warned"):
        lines.append(f"{indent}rule: {doc(rule_id, entry)}")
    for finding in findings[:max_findings]:
        lines.extend(indent + line for line in finding_lines(finding, seed, max_repro=MAX_REPRO_LINES))
    if len(findings) > max_findings:
        lines.append(f"{indent}… and {len(findings) - max_findings} more findings (all in --report-json / --markdown)")
    if not findings and outcome in ("failed", "warned"):
        # A report written by another tool may carry only the details list every report has.
        lines.extend(f"{indent}✗ {safe(d)}" for d in entry.get("details", []))
    return lines
