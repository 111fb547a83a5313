"""Comparing two recordings of the same scenario, or two JSON reports of ``run``: every behavioural
difference, grouped by the rule it touches.

Two cassettes: the conversations are aligned by operation (method and path template; an
interaction that only one side has "appeared" or "vanished"), the new side's vocabulary is learned
from the aligned requests and answers (ids first seen in an answer, accounts, devices, dates: a
recording made a week later schedules a week later), and each pair of answers goes through the same
``compare`` as a replay: statuses, error or success, error codes, fields that appeared or vanished,
device items, campaign statuses and the branch taken where the rules allow several. On top of that,
each campaign's lifecycle path, and the verdict of ``check-cassette`` on each side, rule by rule.

Two reports: per rule the outcome, the branch and the findings (by title); the lifecycle edges seen.

A difference "touches a rule" when it has one (an errorCode text or an extra field does not): that is
what ``diff``'s exit code 1 means, also for a change between allowed branches, which stays conformant
but breaks a client that relied on the old branch.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.cassettes import CassetteError, RecordedCassette, load_cassette
from conformance.cassettes._format import Interaction
from conformance.replay._compare import STATUSES, Difference, Op, Story, classify, compare
from conformance.replay._roles import Vocabulary
from conformance.report.jsonio import ReportError, load_report
from conformance.spec.lifecycle import Status, is_allowed_change
from conformance.suite.http import Exchange

__all__ = ["DiffError", "diff", "render_diff_markdown", "render_diff_terminal"]

NO_RULE = "no rule"


class DiffError(ValueError):
    """Input that cannot be compared (not a cassette or report, or one of each); one line."""


def diff(old: str | Path, new: str | Path) -> dict[str, Any]:
    """The differences from ``old`` to ``new`` (two cassettes, or two JSON reports of ``run``)."""
    kind_old, kind_new = _kind(old), _kind(new)
    if kind_old != kind_new:
        raise DiffError(f"cannot compare a {kind_old[:-1]} ({old}) with a {kind_new[:-1]} ({new})")
    if kind_old == "reports":
        try:
            a, b = load_report(old), load_report(new)
        except ReportError as exc:
            raise DiffError(str(exc)) from None
        diffs = _diff_reports(a, b)
        extra: dict[str, Any] = {}
    else:
        try:
            ca, cb = load_cassette(old), load_cassette(new)
        except CassetteError as exc:
            raise DiffError(str(exc)) from None
        diffs, extra = _diff_cassettes(ca, cb)
    groups: dict[str, list[dict[str, Any]]] = {}
    for d in diffs:
        groups.setdefault(d.rule or NO_RULE, []).append(d.to_json())
    touched = sorted(r for r in groups if r != NO_RULE)
    return {"report_version": 1, "source": "diff", "kind": kind_old, "old": str(old), "new": str(new),
            "touches_rules": bool(touched), "rules_touched": touched,
            "summary": {"differences": len(diffs), "touching_rules": sum(1 for d in diffs if d.rule),
                        "allowed_branch_changes": sum(1 for d in diffs if d.allowed)},
            **extra, "differences": [d.to_json() for d in diffs],
            "by_rule": dict(sorted(groups.items(), key=lambda kv: (kv[0] == NO_RULE, kv[0])))}


def _kind(path: str | Path) -> str:
    p = Path(path)
    if not p.is_file():
        raise DiffError(f"{path}: no such file")
    try:
        head = p.read_text(encoding="utf-8")[:4096].lstrip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return "reports" if head.startswith("{") else "cassettes"


# --- two recordings --------------------------------------------------------------------------------
def _key(ix: Interaction, op: Op) -> tuple[str, str]:
    return ix.method, op.template


def _diff_cassettes(a: RecordedCassette, b: RecordedCassette) -> tuple[list[Difference], dict[str, Any]]:
    xs = [(ix, classify(ix.method, ix.url)) for ix in a.interactions]
    ys = [(ix, classify(ix.method, ix.url)) for ix in b.interactions]
    xs = [(ix, op) for ix, op in xs if op.kind != "other"]
    ys = [(ix, op) for ix, op in ys if op.kind != "other"]
    matcher = difflib.SequenceMatcher(a=[_key(*x) for x in xs], b=[_key(*y) for y in ys], autojunk=False)
    vocab = Vocabulary()
    story = Story.of(ix.exchange() for ix in a.interactions)
    diffs: list[Difference] = []
    paths: dict[str, tuple[list[str], list[str], int]] = {}
    aligned = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            for ix, op in xs[i1:i2]:
                diffs.append(Difference(_rule_alone(ix, op, story), "interaction vanished",
                                        f"{ix.method} {op.template}", f"#{ix.index} answered {ix.status}",
                                        "not sent", where=f"#{ix.index}"))
            for iy, op in ys[j1:j2]:
                diffs.append(Difference(_rule_alone(iy, op, story), "interaction appeared",
                                        f"{iy.method} {op.template}", "not sent",
                                        f"#{iy.index} answered {iy.status}", where=f"#{iy.index}"))
            continue
        for (ix, op), (iy, _op) in zip(xs[i1:i2], ys[j1:j2], strict=True):
            aligned += 1
            old, new = ix.exchange(), iy.exchange()
            vocab.learn_pair(ix.request_data, iy.request_data)
            vocab.learn_pair(ix.path.split("/"), iy.path.split("/"))
            if op.kind == "control":
                story.observe(ix.method, op, old)
                continue
            o, n = old.data, new.data
            if ix.method == "POST" and isinstance(o, dict) and isinstance(n, dict) \
                    and isinstance(o.get("id"), str) and isinstance(n.get("id"), str):
                vocab.learn(o["id"], n["id"])  # an id first seen in an answer: the same role
            _rule, found = compare(ix.method, op, _mapped(old, vocab), new, story)
            if any(d.allowed for d in found):
                story.diverge(op.upgrade_id, f"#{ix.index}")
            where = f"#{ix.index}" + (f"/#{iy.index}" if iy.index != ix.index else "") + f" {ix.method} {op.template}"
            diffs += [replace(d, where=where) for d in found]
            _path(paths, ix, op, old, new)
            story.observe(ix.method, op, old)
    diffs += _lifecycle_paths(paths, story)
    diffs += _verdicts(a, b)
    return diffs, {"aligned_interactions": aligned, "old_interactions": len(a.interactions),
                   "new_interactions": len(b.interactions)}


def _rule_alone(ix: Interaction, op: Op, story: Story) -> str:
    from conformance.replay._compare import attribute

    return attribute(ix.method, op, ix.exchange(), story)


def _mapped(old: Exchange, vocab: Vocabulary) -> Exchange:
    data = old.data
    body = json.dumps(vocab.map_json(data)).encode() if isinstance(data, dict | list) else old.response_body
    return replace(old, response_body=body)


def _path(paths: dict[str, tuple[list[str], list[str], int]], ix: Interaction, op: Op, old: Exchange,
          new: Exchange) -> None:
    """Each campaign's statuses, in order, on both sides (keyed by the old side's id)."""
    o, n = old.data if old.status == 200 else None, new.data if new.status == 200 else None
    upgrade_id = op.upgrade_id
    if ix.method == "POST":
        upgrade_id = o.get("id") if isinstance(o, dict) and isinstance(o.get("id"), str) else None
    if upgrade_id is None or ix.method not in ("POST", "GET"):
        return
    seq_old, seq_new, _first = paths.setdefault(upgrade_id, ([], [], ix.index))
    for seq, data in ((seq_old, o), (seq_new, n)):
        status = data.get("status") if isinstance(data, dict) else None
        label = str(status) if status is not None else "(no status)"
        if not seq or seq[-1] != label:
            seq.append(label)


def _lifecycle_paths(paths: Mapping[str, tuple[list[str], list[str], int]], story: Story) -> list[Difference]:
    out = []
    for upgrade_id, (seq_old, seq_new, first) in paths.items():
        if seq_old == seq_new:
            continue
        seen = story.seen(upgrade_id)
        rule = "LIFE-01" if any(s not in STATUSES and s != "(no status)" for s in seq_old + seq_new) else \
            "LIFE-06" if seen is not None and seen.cancelled else "LIFE-02"
        out.append(Difference(rule, "lifecycle path", f"campaign created at #{first}", " → ".join(seq_old),
                              " → ".join(seq_new), where=f"#{first}"))
    return out


def _verdicts(a: RecordedCassette, b: RecordedCassette) -> list[Difference]:
    """check-cassette's verdict on each side, rule by rule."""
    from conformance.cassettes._judge import judge

    ra, rb = judge(a), judge(b)
    out = []
    for rule_id, ea in ra["rules"].items():
        eb = rb["rules"].get(rule_id, {})
        if ea.get("outcome") != eb.get("outcome"):
            new = str(eb.get("outcome"))
            why = [str(x) for x in eb.get("details", []) if not str(x).startswith("partly untested")][:1]
            out.append(Difference(rule_id, "verdict", "check-cassette", str(ea.get("outcome")),
                                  f"{new}: {why[0]}" if why and new in ("failed", "warned") else new))
    return out


# --- two reports ---------------------------------------------------------------------------------
def _diff_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    out = []
    if a.get("control_plane") != b.get("control_plane"):
        out.append(Difference(None, "setup", "control plane", str(a.get("control_plane")), str(b.get("control_plane"))))
    ra, rb = a.get("rules", {}), b.get("rules", {})
    for rule_id in [*ra, *(r for r in rb if r not in ra)]:
        ea, eb = ra.get(rule_id) or {}, rb.get(rule_id) or {}
        if ea.get("outcome") != eb.get("outcome"):
            out.append(Difference(rule_id, "outcome", "", str(ea.get("outcome", "absent")),
                                  str(eb.get("outcome", "absent"))))
        if ea.get("branch") != eb.get("branch") and (ea.get("branch") or eb.get("branch")):
            out.append(Difference(rule_id, "branch", "", str(ea.get("branch") or "none"),
                                  str(eb.get("branch") or "none"), allowed=bool(ea.get("branch") and eb.get("branch"))))
        ta = [str(f.get("title")) for f in ea.get("findings") or []]
        tb = [str(f.get("title")) for f in eb.get("findings") or []]
        out += [Difference(rule_id, "finding vanished", t, "reported", "not reported") for t in dict.fromkeys(ta)
                if t not in tb]
        out += [Difference(rule_id, "finding appeared", t, "not reported", "reported") for t in dict.fromkeys(tb)
                if t not in ta]
    ea_edges = _edges(a)
    eb_edges = _edges(b)
    for edge in sorted(ea_edges ^ eb_edges):
        allowed = edge[0] in STATUSES and edge[1] in STATUSES and is_allowed_change(Status(edge[0]), Status(edge[1]))
        out.append(Difference(None if allowed else "LIFE-02", "lifecycle edge", f"{edge[0]} → {edge[1]}",
                              "observed" if edge in ea_edges else "not observed",
                              "observed" if edge in eb_edges else "not observed"))
    return out


def _edges(report: Mapping[str, Any]) -> set[tuple[str, str]]:
    edges = (report.get("lifecycle") or {}).get("observed_edges") or []
    return {(str(e.get("from")), str(e.get("to"))) for e in edges if isinstance(e, dict)}


# --- rendering ---------------------------------------------------------------------------------------
def _verdict(report: Mapping[str, Any]) -> str:
    s = report["summary"]
    if not s["differences"]:
        return "NO BEHAVIOURAL DIFFERENCE"
    rules = report.get("rules_touched") or []
    head = f"{s['differences']} difference(s), {s['touching_rules']} touching {len(rules)} rule(s)"
    if rules:
        head += f": {', '.join(rules)}"
    if s["allowed_branch_changes"]:
        head += f" ({s['allowed_branch_changes']} between allowed branches: conformant, but clients may notice)"
    return ("BEHAVIOUR CHANGED: " if rules else "DIFFERENT, NO RULE TOUCHED: ") + head


def _line(d: Mapping[str, Any]) -> str:
    where = f"{d['where']}: " if d.get("where") else ""
    what = f" {d['what']}" if d.get("what") else ""
    tag = "  [another allowed branch]" if d.get("allowed") else ""
    return f"{where}{d['kind']}{what}: {d['old']} → {d['new']}{tag}"


def render_diff_terminal(report: Mapping[str, Any]) -> str:
    lines = [f"diff of {report['kind']}: {report['old']} → {report['new']}"]
    for rule, items in report["by_rule"].items():
        lines.append("")
        lines.append(f"{rule} ({len(items)})")
        lines += [f"  {_line(d)}" for d in items]
    lines.append("")
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render_diff_markdown(report: Mapping[str, Any]) -> str:
    out = [f"# FOTA v1 behaviour diff: {_verdict(report)}", "",
           f"Old: `{report['old']}` · New: `{report['new']}` ({report['kind']})", ""]
    if not report["differences"]:
        out += ["No behavioural difference.", ""]
        return "\n".join(out)
    for rule, items in report["by_rule"].items():
        anchor = f" ([rule](docs/rules.md#{rule.lower()}))" if rule != NO_RULE else ""
        out += [f"## {rule}{anchor}", "", "| where | what | old | new | |", "| --- | --- | --- | --- | --- |"]
        for d in items:
            what = d["kind"] + (f" {d['what']}" if d.get("what") else "")
            out.append(f"| {_cell(d.get('where', ''))} | {_cell(what)} | {_cell(d['old'])} | {_cell(d['new'])} | "
                       f"{'allowed branch' if d.get('allowed') else ''} |")
        out.append("")
    return "\n".join(out)
