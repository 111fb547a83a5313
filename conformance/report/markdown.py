"""A Markdown report a person can paste into an issue: the verdict, a table of rules, every failure
with expected/actual and its reproduction, and the campaign lifecycle as a Mermaid state diagram
with the transitions this run observed (and those it never reached)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.report.common import (
    FAMILY_NAMES,
    by_family,
    doc,
    finding_lines,
    finding_summary,
    is_client_report,
    level,
    notes,
    notices,
    partly,
    reason,
    title,
    verdict_line,
)
from conformance.spec.lifecycle import EDGES, TERMINAL, Status, is_allowed_change

__all__ = ["mermaid_lifecycle", "render_markdown"]

#: An issue stays readable: the first findings of a rule in full, the rest as one-line details.
MAX_FINDINGS = 5

_ICON = {"passed": "✅ passed", "failed": "❌ failed", "warned": "⚠️ warned", "skipped": "⏭️ skipped"}


def _cell(text: object) -> str:
    """A table cell: pipes escaped and newlines folded, or the table breaks."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _fence(text: str, lang: str = "") -> str:
    """A code block whose fence is longer than any backtick run inside (target bodies are arbitrary)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def render_markdown(report: Mapping[str, Any]) -> str:
    out: list[str] = []
    verdict = "✅ conformant" if report.get("conformant") else "❌ not conformant"
    client = is_client_report(report)
    out.append(f"# FOTA v1 {'client ' if client else ''}conformance: {verdict}")
    out.append("")
    out.append(f"**{verdict_line(report)}**")
    out.append("")
    for notice in notices(report):
        out += [f"> **{_cell(notice)}**", ""]
    meta = [("target" if not client else "judged", f"`{report.get('target', '?')}`"),
            ("control plane", "yes" if report.get("control_plane") else "no (black-box)"),
            *([] if client else [("seed", f"`{report.get('seed')}`"), ("depth", report.get("depth", "default"))]),
            ("suite version", report.get("suite_version", "?")),
            ("generated", report.get("generated_at", "?"))]
    if report.get("selected_rules"):
        meta.append(("selected rules", ", ".join(report["selected_rules"])))
    out += ["| | |", "| --- | --- |"] + [f"| {k} | {_cell(v)} |" for k, v in meta]
    out.append("")
    out.append("## Rules")
    out.append("")
    out += ["| rule | level | outcome | branch | rule text |", "| --- | --- | --- | --- | --- |"]
    for _family, entries in by_family(report):
        for rule_id, entry in entries:
            outcome = str(entry.get("outcome"))
            shown = _ICON.get(outcome, outcome) + (" (in part)" if outcome != "skipped" and partly(entry) else "")
            out.append(f"| {rule_id} | {level(rule_id, entry)} | {shown} | "
                       f"{_cell(entry.get('branch') or '')} | {_cell(title(rule_id, entry))} |")
    out.append("")
    problems = [(rid, e) for _f, entries in by_family(report) for rid, e in entries
                if e.get("outcome") in ("failed", "warned")]
    if problems:
        out.append("## Failures and warnings")
        out.append("")
        for rule_id, entry in problems:
            out += _problem(rule_id, entry, report.get("seed"))
    gaps = [(rid, partly(e)) for _f, entries in by_family(report) for rid, e in entries
            if e.get("outcome") != "skipped" and partly(e)]
    if gaps:
        out.append("<details><summary>Rules tested in part, and what was not tested</summary>")
        out.append("")
        out += [f"- **{rid}**: {_cell('; '.join(g))}" for rid, g in gaps]
        out.append("")
        out.append("</details>")
        out.append("")
    noted = [(rid, notes(e)) for _f, entries in by_family(report) for rid, e in entries if notes(e)]
    if noted:
        out.append("<details><summary>Notes on passed rules</summary>")
        out.append("")
        out += [f"- **{rid}**: {_cell(n)}" for rid, ns in noted for n in ns]
        out.append("")
        out.append("</details>")
        out.append("")
    skipped = [(rid, e) for _f, entries in by_family(report) for rid, e in entries if e.get("outcome") == "skipped"]
    if skipped:
        out.append("<details><summary>Skipped rules and why</summary>")
        out.append("")
        out += [f"- **{rid}**: {_cell(reason(e))}" for rid, e in skipped]
        out.append("")
        out.append("</details>")
        out.append("")
    out += _replayed(report)
    if client:
        return "\n".join(out)  # a client report observes no lifecycle of a target
    out.append("## Campaign lifecycle observed")
    out.append("")
    out.append("Edge labels count the status changes this run saw; *not observed* marks the documented "
               "transitions it never reached (LIFE-02).")
    out.append("")
    out.append(_fence(mermaid_lifecycle(report.get("lifecycle", {}).get("observed_edges", [])), "mermaid"))
    out.append("")
    return "\n".join(out)


def _problem(rule_id: str, entry: Mapping[str, Any], seed: object) -> list[str]:
    family = rule_id.split("-", 1)[0]
    out = [f"### {rule_id} — {_ICON.get(str(entry.get('outcome')), '')} ({level(rule_id, entry)}, "
           f"{FAMILY_NAMES.get(family, family)})", "", f"> {_cell(title(rule_id, entry))}",
           f"> (rule: `{doc(rule_id, entry)}`)", ""]
    findings = entry.get("findings") or []
    if not findings:
        out += [f"- {_cell(d)}" for d in entry.get("details", [])] + [""]
    for finding in findings[:MAX_FINDINGS]:
        # A code block: a target's text needs no Markdown escaping there, and copies as it is.
        out += [_fence("\n".join(finding_lines(finding, seed)), "text"), ""]
    if len(findings) > MAX_FINDINGS:
        out.append(f"<details><summary>{len(findings) - MAX_FINDINGS} more findings</summary>")
        out.append("")
        out += [f"- {_cell(finding_summary(f))}" for f in findings[MAX_FINDINGS:]]
        out += ["", "</details>", ""]
    return out


def _state_id(name: str) -> str:
    """Mermaid state ids are identifiers; a target may report any status string (LIFE-01 faults)."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident and not ident[0].isdigit() else f"s_{ident}"


def _allowed(before: str, after: str) -> bool:
    try:
        return is_allowed_change(Status(before), Status(after))
    except ValueError:  # not a documented status at all (LIFE-01)
        return False


def mermaid_lifecycle(observed: Iterable[Mapping[str, Any]]) -> str:
    """``stateDiagram-v2`` of lifecycle.EDGES; observed edges labelled with their count, the others
    "not observed". Changes seen between two observations that skip states (allowed by LIFE-02) are
    drawn as their own arrows; changes no path of edges allows are drawn labelled as violations."""
    seen: dict[tuple[str, str], int] = {}
    for edge in observed:
        key = (str(edge.get("from")), str(edge.get("to")))
        seen[key] = seen.get(key, 0) + int(edge.get("count", 1))
    documented = {(str(a), str(b)) for a, b in EDGES}
    order = [s.value for s in Status]
    lines = ["stateDiagram-v2", f"    [*] --> {Status.REQUEST_PENDING.value}"]
    for a, b in sorted(documented, key=lambda e: (order.index(e[0]), order.index(e[1]))):
        n = seen.get((a, b), 0)
        label = f"observed ×{n}" if n else "not observed"
        lines.append(f"    {a} --> {b}: {label}")
    for (a, b), n in sorted(seen.items()):
        if (a, b) in documented:
            continue
        if _allowed(a, b):
            lines.append(f"    {a} --> {b}: observed ×{n}, states skipped between observations")
        else:
            lines.append(f"    {_state_id(a)} --> {_state_id(b)}: ⚠ observed ×{n}, not an allowed change")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL, key=lambda s: order.index(s.value))]
    observed_states = {s for edge in seen for s in edge}
    never = [s for s in order if s not in observed_states]
    if never and seen:
        lines.append("    classDef unseen stroke-dasharray: 4 4")
        lines += [f"    class {s} unseen" for s in never]
    return "\n".join(lines)


def _replayed(report: Mapping[str, Any]) -> list[str]:
    """A replay's interactions that did not come back the same as recorded (the rest are counted)."""
    entries = [e for e in report.get("interactions") or [] if e.get("outcome") != "same"]
    if not report.get("interaction_summary"):
        return []
    tally = ", ".join(f"{n} {k}" for k, n in report["interaction_summary"].items())
    out = ["## Replayed interactions", "", f"{tally}.", ""]
    if entries:
        out += ["| recording | # | request | rule | outcome | recorded → target | why |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for e in entries[:200]:
            why = "; ".join(f"{d.get('kind')} {d.get('what') or ''}: {d.get('old')} → {d.get('new')}"
                            for d in e.get("differences") or []) or e.get("reason", "")
            out.append(f"| {_cell(e.get('cassette', ''))} | {e.get('index')} | `{_cell(e.get('request', ''))}` | "
                       f"{e.get('rule') or ''} | {e.get('outcome')} | {e.get('recorded')} → {e.get('target')} | "
                       f"{_cell(why)} |")
        if len(entries) > 200:
            out.append(f"| … | | {len(entries) - 200} more in the JSON report | | | | |")
        out.append("")
    return out
